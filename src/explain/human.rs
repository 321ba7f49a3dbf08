//! Times said the way people say them: "expired 3 min ago", "valid for 57 min".

pub use crate::recent::human_duration;

/// What a time claim means now: "expired 3 min ago", "valid for 57 min", "issued 5 s ago".
pub fn time_phrase(claim: &str, at: i64, now: i64, leeway: i64) -> String {
    let d = human_duration(at.abs_diff(now));
    match claim {
        "exp" if at > now => format!("valid for {d}"),
        "exp" if now - at < leeway => format!("expired {d} ago, within the {leeway} s leeway"),
        "exp" => format!("expired {d} ago"),
        "nbf" if at > now => format!("not valid for another {d}"),
        "nbf" => format!("valid since {d} ago"),
        _ if at > now => format!("issued {d} in the future"),
        _ => format!("issued {d} ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(human_duration(0), "0 s");
        assert_eq!(human_duration(59), "59 s");
        assert_eq!(human_duration(180), "3 min");
        assert_eq!(human_duration(3420), "57 min");
        assert_eq!(human_duration(7200), "2 h");
        assert_eq!(human_duration(7500), "2 h 5 min");
        assert_eq!(human_duration(3 * 86_400 + 5), "3 days");
    }

    #[test]
    fn time_claims_say_what_they_mean() {
        let now = 1_000_000;
        assert_eq!(time_phrase("exp", now - 180, now, 30), "expired 3 min ago");
        assert_eq!(
            time_phrase("exp", now - 10, now, 30),
            "expired 10 s ago, within the 30 s leeway"
        );
        assert_eq!(time_phrase("exp", now + 3420, now, 30), "valid for 57 min");
        assert_eq!(
            time_phrase("nbf", now + 300, now, 30),
            "not valid for another 5 min"
        );
        assert_eq!(time_phrase("iat", now - 5, now, 30), "issued 5 s ago");
    }
}
