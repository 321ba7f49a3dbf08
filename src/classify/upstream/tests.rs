use super::health;
use crate::cause::{Cause, Detail};
use crate::facts::{TlsProblem, TransportError};
use http::StatusCode;

fn detail(outcome: Result<StatusCode, TransportError>) -> Option<Detail> {
    health("/health", outcome).map(|f| {
        assert_eq!(f.cause, Cause::HealthCheckFailed);
        assert!(f.hint.contains("/health"), "{}", f.hint);
        f.detail
    })
}

#[test]
fn any_2xx_is_healthy() {
    assert_eq!(detail(Ok(StatusCode::OK)), None);
    assert_eq!(detail(Ok(StatusCode::NO_CONTENT)), None);
}

#[test]
fn answers_other_than_2xx_fail_by_status_or_path() {
    assert_eq!(detail(Ok(StatusCode::NOT_FOUND)), Some(Detail::NotFound));
    assert_eq!(
        detail(Ok(StatusCode::SERVICE_UNAVAILABLE)),
        Some(Detail::Status)
    );
    // A redirect (to a login page, say) is not a healthy answer.
    assert_eq!(detail(Ok(StatusCode::FOUND)), Some(Detail::Status));
}

#[test]
fn transport_failures_map_to_the_probe_details() {
    assert_eq!(
        detail(Err(TransportError::ConnectTimeout)),
        Some(Detail::Timeout)
    );
    assert_eq!(
        detail(Err(TransportError::ResponseTimeout)),
        Some(Detail::Timeout)
    );
    assert_eq!(
        detail(Err(TransportError::Refused {
            loopback_answers: false
        })),
        Some(Detail::Refused)
    );
    let loopback = health(
        "/health",
        Err(TransportError::Refused {
            loopback_answers: true,
        }),
    )
    .unwrap();
    assert!(loopback.hint.contains("0.0.0.0"), "{}", loopback.hint);
    // The rest keep no detail but say what broke.
    let tls = health("/health", Err(TransportError::Tls(TlsProblem::Untrusted))).unwrap();
    assert_eq!(tls.detail, Detail::None);
    assert!(tls.hint.contains("certificate"), "{}", tls.hint);
}
