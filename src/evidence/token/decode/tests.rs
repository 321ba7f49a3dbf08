use super::*;
use crate::evidence::token::test_support::*;
use serde_json::json;

#[test]
fn malformed_tokens_get_their_detail() {
    let good = token(header(), claims());
    let mut parts = good.split('.');
    let (h, p) = (parts.next().unwrap(), parts.next().unwrap());
    let rows: Vec<(String, Detail)> = vec![
        ("2YotnFZFEjr1zCsicMWpAA".into(), Detail::Opaque),
        (format!("{h}.{p}"), Detail::Segments),
        (format!("{h}.{p}.s.x"), Detail::Segments),
        (format!("{h}.{p}.a.b.c.d"), Detail::Segments),
        (format!("{h}.e.i.v.t"), Detail::Jwe),
        (
            token(json!({"alg": "RSA-OAEP", "enc": "A256GCM"}), claims()),
            Detail::Jwe,
        ),
        (format!("{h}=.{p}.c2ln"), Detail::Base64),
        (format!("{h}.{p}.c2l+"), Detail::Base64),
        (format!("{h}.{p}*.c2ln"), Detail::Base64),
        (format!("bm90IGpzb24.{p}.c2ln"), Detail::Json),
        (token(header(), json!(["an", "array"])), Detail::Json),
        (format!("{h}..c2ln"), Detail::Json),
    ];
    for (t, want) in rows {
        assert_eq!(decode(&t).err(), Some(want), "{t}");
    }
}

#[test]
fn decodes_facts_without_trusting() {
    let t = token(
        header(),
        with(
            with(claims(), "aud", json!([AUD, "other"])),
            "scp",
            json!(["a", "b"]),
        ),
    );
    let d = decode(&t).unwrap();
    assert_eq!(d.header.alg.as_deref(), Some("RS256"));
    assert_eq!(d.header.kid.as_deref(), Some("k1"));
    assert_eq!(d.header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(d.claims.iss.as_deref(), Some(ISS));
    assert_eq!(d.claims.aud, [AUD, "other"]);
    assert_eq!(d.claims.exp, Some(NOW + 600));
    assert!(d.claims.jti_present);
    assert!(!d.claims.id_token_markers);
    assert_eq!(
        d.claims.scopes,
        [
            ("scope".to_string(), ScopeClaim::Text("files.read".into())),
            (
                "scp".to_string(),
                ScopeClaim::List(vec!["a".into(), "b".into()])
            ),
        ]
    );
    assert_eq!(d.signature, "c2ln");
    assert!(t.starts_with(d.signing_input));
    assert!(d.ill_typed.is_empty());
}

#[test]
fn wrong_types_are_recorded_not_fatal() {
    let c = json!({"iss": 7, "aud": {"x": 1}, "exp": "1800000000", "nbf": 1.8e9, "nonce": "n"});
    let t = token(json!({"alg": 256}), c);
    let d = decode(&t).unwrap();
    assert_eq!(d.ill_typed, ["iss", "aud", "exp"]);
    assert_eq!(d.claims.nbf, Some(1_800_000_000));
    assert_eq!(d.header.alg.as_deref(), Some("256"));
    assert!(d.claims.id_token_markers);
}

#[test]
fn arbitrary_input_never_panics() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let alphabet = b"eyJhbGciOiJSUzI1NiJ9._-=+/{}\"\\: \x00\xff";
    let good = token(header(), claims());
    for i in 0..20_000 {
        let len = rng.random_range(0..200);
        let mut s: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        if i % 2 == 0 {
            // Mutate a real token instead: most bytes stay meaningful.
            s = good.as_bytes().to_vec();
            let at = rng.random_range(0..s.len());
            s[at] = alphabet[rng.random_range(0..alphabet.len())];
        }
        let text = String::from_utf8_lossy(&s);
        if let Ok(d) = decode(&text) {
            let p = policy();
            let _ = crate::evidence::token::checks::before_keys(&d, &p);
            let _ = crate::evidence::token::checks::after_keys(&d, &p.issuers[0], &p, NOW);
        }
    }
}
