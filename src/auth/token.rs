//! The service's own tokens: HS256 JWTs with issuer, audience and a short
//! lifetime. Their `iat`/`exp` follow the real time, never the manual clock
//! of training mode, so a token cannot outlive its lifetime by moving it.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::domain::Role;

pub const ISSUER: &str = "nattplats";
pub const AUDIENCE: &str = "nattplats-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<Role>,
    pub shelters: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: u64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8], ttl_seconds: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_seconds,
        }
    }

    pub fn issue(
        &self,
        sub: &str,
        roles: Vec<Role>,
        shelters: Vec<String>,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            roles,
            shelters,
            iat: now,
            exp: now + i64::try_from(self.ttl_seconds)?,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("cannot sign token: {e}"))
    }

    /// The claims of a valid token: signed by us with HS256, not expired
    /// (30 s leeway), our issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(b"0123456789abcdef0123456789abcdef", 600)
    }

    #[test]
    fn a_token_round_trips() {
        let t = keys()
            .issue("u1", vec![Role::ShelterStaff], vec!["s1".into()])
            .unwrap();
        let c = keys().verify(&t).unwrap();
        assert_eq!(c.sub, "u1");
        assert_eq!(c.roles, vec![Role::ShelterStaff]);
        assert_eq!(c.shelters, vec!["s1".to_owned()]);
        assert_eq!(c.exp - c.iat, 600);
        assert_eq!(c.iss, ISSUER);
        assert_eq!(c.aud, AUDIENCE);
    }

    #[test]
    fn another_key_or_a_tampered_token_is_refused() {
        let t = keys().issue("u1", vec![Role::Admin], vec![]).unwrap();
        let other = TokenKeys::from_secret(b"another-secret-another-secret-xx", 600);
        assert!(other.verify(&t).is_err());
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        parts[1].push('A');
        assert!(keys().verify(&parts.join(".")).is_err());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "u1".into(),
            roles: vec![],
            shelters: vec![],
            iat: now - 3600,
            exp: now - 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let t = encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap();
        assert!(k.verify(&t).is_err());
    }
}
