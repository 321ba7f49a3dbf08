use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use jsonwebtoken::jwk::Jwk;

/// Every algorithm jsonwebtoken knows, family by family.
fn all() -> Vec<Algorithm> {
    [&HMAC[..], &EC, &RSA, &ED].concat()
}

/// A signing key and its public half as a key set would hold it (through its JWK).
fn pair(
    pem_alg: &'static rcgen::SignatureAlgorithm,
    jwk_alg: Algorithm,
) -> (EncodingKey, DecodingKey) {
    let kp = if pem_alg == &rcgen::PKCS_RSA_SHA256 {
        rcgen::KeyPair::generate_rsa_for(pem_alg, rcgen::RsaKeySize::_2048)
    } else {
        rcgen::KeyPair::generate_for(pem_alg)
    }
    .expect("key");
    let pem = kp.serialize_pem();
    let enc = match jwk_alg.family() {
        AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem.as_bytes()),
        AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem.as_bytes()),
        _ => EncodingKey::from_ed_pem(pem.as_bytes()),
    }
    .expect("pem");
    let dec = if jwk_alg == Algorithm::EdDSA {
        // jsonwebtoken makes no JWK from rcgen's PKCS#8 v2 Ed25519 key; from_jwk would do this
        // with the JWK's `x`.
        let x = URL_SAFE_NO_PAD.encode(kp.public_key_raw());
        DecodingKey::from_ed_components(&x)
    } else {
        DecodingKey::from_jwk(&Jwk::from_encoding_key(&enc, jwk_alg).expect("jwk"))
    };
    (enc, dec.expect("decoding key"))
}

/// Every key against every algorithm, with every signature the keys can make and a tampered
/// one: the parsed verifier says exactly what jsonwebtoken says with the unparsed key.
#[test]
fn agrees_with_jsonwebtoken_for_every_key_and_algorithm() {
    let (rsa_enc, rsa) = pair(&rcgen::PKCS_RSA_SHA256, Algorithm::RS256);
    let (p256_enc, p256) = pair(&rcgen::PKCS_ECDSA_P256_SHA256, Algorithm::ES256);
    let (p384_enc, p384) = pair(&rcgen::PKCS_ECDSA_P384_SHA384, Algorithm::ES384);
    let (ed_enc, ed) = pair(&rcgen::PKCS_ED25519, Algorithm::EdDSA);
    let hmac_enc = EncodingKey::from_secret(b"a shared secret");
    let hmac = DecodingKey::from_secret(b"a shared secret");
    let message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0";
    let mut signatures = Vec::new();
    for enc in [&rsa_enc, &p256_enc, &p384_enc, &ed_enc, &hmac_enc] {
        for alg in all() {
            if let Ok(s) = jsonwebtoken::crypto::sign(message, enc, alg) {
                let mut tampered = URL_SAFE_NO_PAD.decode(&s).expect("b64");
                tampered[3] ^= 1;
                signatures.push((alg, s, true));
                signatures.push((alg, URL_SAFE_NO_PAD.encode(tampered), false));
            }
        }
    }
    assert_eq!(signatures.len(), 2 * (6 + 1 + 1 + 1 + 3));
    let mut verified = 0;
    for key in [&rsa, &p256, &p384, &ed, &hmac] {
        let verifier = Verifier::new(key, None);
        assert_eq!(verifier.family(), key.family());
        for alg in all() {
            for (signed_with, sig, intact) in &signatures {
                let want = jsonwebtoken::crypto::verify(sig, message, key, alg).unwrap_or(false);
                let raw = URL_SAFE_NO_PAD.decode(sig).expect("b64");
                let got = verifier.verify(alg, message, &raw);
                assert_eq!(
                    got,
                    want,
                    "{:?} key, {alg:?}, signed {signed_with:?}",
                    key.family()
                );
                assert!(!got || (*intact && *signed_with == alg));
                verified += usize::from(got);
            }
        }
    }
    // Each intact signature verifies with its own key and algorithm, and nothing else does.
    assert_eq!(verified, 6 + 1 + 1 + 1 + 3);
}

#[test]
fn a_pinned_key_verifies_only_its_algorithm() {
    let secret = DecodingKey::from_secret(b"k");
    let message = b"m";
    let sig = |alg| {
        let s = jsonwebtoken::crypto::sign(message, &EncodingKey::from_secret(b"k"), alg);
        URL_SAFE_NO_PAD.decode(s.expect("sign")).expect("b64")
    };
    let pinned = Verifier::new(&secret, Some(Algorithm::HS384));
    assert!(pinned.verify(Algorithm::HS384, message, &sig(Algorithm::HS384)));
    assert!(!pinned.verify(Algorithm::HS256, message, &sig(Algorithm::HS256)));
    // Pinned to an algorithm of another family: it verifies nothing.
    let odd = Verifier::new(&secret, Some(Algorithm::RS256));
    assert!(!odd.verify(Algorithm::HS256, message, &sig(Algorithm::HS256)));
}

#[test]
fn a_malformed_rsa_key_verifies_nothing() {
    // aws-lc refuses a modulus with a leading zero byte; before, every verification failed on
    // it, now the parse at load does and the key stays in the set, verifying nothing.
    let key = DecodingKey::from_rsa_raw_components(&[0, 1, 2, 3], &[1, 0, 1]);
    let verifier = Verifier::new(&key, None);
    assert_eq!(verifier.family(), AlgorithmFamily::Rsa);
    assert!(!verifier.verify(Algorithm::RS256, b"m", &[0; 256]));
    assert!(!jsonwebtoken::crypto::verify("AAAA", b"m", &key, Algorithm::RS256).unwrap_or(false));
}
