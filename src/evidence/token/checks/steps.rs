//! The order of authlens's token checks, in one place: the check functions run in this order
//! (a test below holds them to it), and `authlens explain` walks it to say which checks passed,
//! which failed and which were not reached. Also the kinds of token the first checks tell
//! apart, for `explain` to name.

use super::{AT_JWT_TYPE, ID_JAG_TYPE, typ_is};
use crate::cause::{Cause, Detail};
use crate::evidence::token::{Check, ClaimFacts, HeaderFacts};

/// One check, or a group of checks that give related causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Shape,
    Kind,
    Algorithm,
    Issuer,
    Typ,
    Kid,
    Signature,
    Audience,
    Time,
    RequiredClaims,
}

/// The checks in the order authlens runs them: the first failure is the verdict.
pub const ORDER: [Step; 10] = [
    Step::Shape,
    Step::Kind,
    Step::Algorithm,
    Step::Issuer,
    Step::Typ,
    Step::Kid,
    Step::Signature,
    Step::Audience,
    Step::Time,
    Step::RequiredClaims,
];

impl Step {
    /// A stable name for JSON output.
    pub fn label(self) -> &'static str {
        match self {
            Step::Shape => "shape",
            Step::Kind => "kind",
            Step::Algorithm => "algorithm",
            Step::Issuer => "issuer",
            Step::Typ => "typ",
            Step::Kid => "kid",
            Step::Signature => "signature",
            Step::Audience => "audience",
            Step::Time => "time",
            Step::RequiredClaims => "required_claims",
        }
    }

    /// What the step checks, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Shape => "shape: three base64url JSON parts",
            Step::Kind => "kind: an access token, not an ID token or ID-JAG",
            Step::Algorithm => "algorithm allowed",
            Step::Issuer => "issuer trusted",
            Step::Typ => "typ accepted",
            Step::Kid => "signing key published (kid)",
            Step::Signature => "signature",
            Step::Audience => "audience",
            Step::Time => "time window (exp, nbf, iat)",
            Step::RequiredClaims => "required claims",
        }
    }

    /// The causes this step can give.
    pub fn causes(self) -> &'static [Cause] {
        match self {
            Step::Shape => &[Cause::TokenMalformed],
            Step::Kind => &[Cause::IdJagSent, Cause::IdTokenSent],
            Step::Algorithm => &[Cause::AlgNotAllowed],
            Step::Issuer => &[Cause::IssuerMismatch],
            Step::Typ => &[Cause::TypRejected],
            Step::Kid => &[Cause::KidUnknown, Cause::JwksFetchFailed],
            Step::Signature => &[Cause::SignatureInvalid],
            Step::Audience => &[Cause::AudienceMismatch],
            Step::Time => &[Cause::TokenExpired, Cause::TokenNotYetValid],
            Step::RequiredClaims => &[Cause::RequiredClaimMissing],
        }
    }

    /// Whether the step needs the issuer's key set.
    pub fn needs_keys(self) -> bool {
        matches!(self, Step::Kid | Step::Signature)
    }

    /// Whether the step needs to know which configured issuer the token belongs to.
    pub fn needs_issuer(self) -> bool {
        self > Step::Algorithm
    }

    /// The step that gave `cause`/`detail`.
    pub fn of(cause: Cause, detail: Detail) -> Step {
        if cause == Cause::RequiredClaimMissing && detail == Detail::ClaimIss {
            return Step::Issuer; // a missing `iss` is found while choosing the issuer
        }
        ORDER
            .into_iter()
            .find(|s| s.causes().contains(&cause))
            .unwrap_or(Step::RequiredClaims)
    }
}

impl Check {
    /// The step that failed.
    pub fn step(&self) -> Step {
        Step::of(self.cause, self.detail)
    }
}

/// What kind of JWT a token is, from its header and claims alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// `typ: at+jwt` (RFC 9068).
    AccessToken,
    /// An Identity Assertion JWT Authorization Grant (`typ: oauth-id-jag+jwt`).
    IdJag,
    /// An OpenID Connect ID token: it carries `nonce` or `at_hash`.
    IdToken,
    /// A JWT that says nothing either way; taken for an access token.
    Jwt,
}

impl TokenKind {
    pub fn of(header: &HeaderFacts, claims: &ClaimFacts) -> TokenKind {
        let typ = header.typ.as_deref();
        if typ_is(typ, ID_JAG_TYPE) {
            TokenKind::IdJag
        } else if typ_is(typ, AT_JWT_TYPE) {
            TokenKind::AccessToken
        } else if claims.id_token_markers {
            TokenKind::IdToken
        } else {
            TokenKind::Jwt
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenKind::AccessToken => "access_token",
            TokenKind::IdJag => "id_jag",
            TokenKind::IdToken => "id_token",
            TokenKind::Jwt => "jwt",
        }
    }

    /// One line for a person.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::AccessToken => "an access token (typ at+jwt)",
            TokenKind::IdJag => {
                "an ID-JAG (typ oauth-id-jag+jwt): a grant for the resource's token endpoint, not an access token"
            }
            TokenKind::IdToken => {
                "an OpenID Connect ID token (it carries nonce/at_hash): proof of login for the client, not an access token"
            }
            TokenKind::Jwt => "a JWT with no typ saying what it is; checked as an access token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::token::checks::{after_keys, before_keys};
    use crate::evidence::token::decode::decode;
    use crate::evidence::token::test_support::*;
    use serde_json::{Value, json};

    /// Every cause a step can give maps back to that step.
    #[test]
    fn causes_map_back_to_their_step() {
        for step in ORDER {
            for cause in step.causes() {
                assert_eq!(Step::of(*cause, Detail::None), step, "{cause:?}");
            }
        }
        assert_eq!(
            Step::of(Cause::RequiredClaimMissing, Detail::ClaimIss),
            Step::Issuer
        );
    }

    /// The step that fails first, as the check functions run.
    fn first_failure(header: Value, claims: Value) -> Option<Step> {
        let t = token(header, claims);
        let d = decode(&t).expect("decodes");
        let p = policy();
        let check = match before_keys(&d, &p) {
            Err(c) => c,
            Ok((i, _)) => after_keys(&d, &p.issuers[i?], &p, NOW).err()?,
        };
        Some(check.step())
    }

    /// The check functions report the earlier of two defects, as `ORDER` says.
    #[test]
    fn the_checks_run_in_order() {
        // One defect per step the key-free checks cover, in `ORDER`.
        let defects: Vec<(Step, Value, Value)> = vec![
            (
                Step::Kind,
                with(header(), "typ", json!("oauth-id-jag+jwt")),
                json!({}),
            ),
            (
                Step::Algorithm,
                with(header(), "alg", json!("HS256")),
                json!({}),
            ),
            (Step::Issuer, json!({}), json!({"iss": format!("{ISS}/")})),
            (
                Step::Audience,
                json!({}),
                json!({"aud": "https://other.example/"}),
            ),
            (Step::Time, json!({}), json!({"exp": NOW - 3600})),
        ];
        let merge = |mut base: Value, extra: &Value| {
            for (k, v) in extra.as_object().into_iter().flatten() {
                base[k] = v.clone();
            }
            base
        };
        for (i, (first, h1, c1)) in defects.iter().enumerate() {
            for (later, h2, c2) in &defects[i..] {
                let h = merge(merge(header(), h2), h1);
                let c = merge(merge(claims(), c2), c1);
                assert_eq!(
                    first_failure(h, c),
                    Some(*first),
                    "{first:?} before {later:?}"
                );
            }
        }
    }
}
