//! The service's own tokens: HS256 JWTs with issuer, audience and a short
//! lifetime. Their `iat`/`exp` follow the real time, never the manual clock
//! of training mode, so a token cannot outlive its lifetime by moving it.
//!
//! There is one secret and no list of old ones: a new secret (a restart
//! with another `NATTPLATS_JWT_SECRET` or secret file) refuses every token
//! signed with the old one at once, which is what rotating after a leak
//! needs. Everyone logs in again.
//!
//! [`TokenKeys`] also carries what else decides who a request is from: the
//! identity provider's keys, the login limits (kept in the database) and
//! the trusted proxies
//! (the application state reaches them through its `tokens`).

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::HttpRequest;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::client_addr::TrustedProxies;
use super::jwks::{IdpVerifier, LEEWAY_SECONDS, check_times};
use super::login_guard::{LoginGuard, Spent, Ticket};
use crate::config::{LoginLimits, Settings};
use crate::db::DbPool;
use crate::domain::Role;
use crate::error::AppError;

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

/// Whom a verified token speaks for; the users table says the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Our own token: `sub` is the user's id.
    UserId(String),
    /// The identity provider's token: `sub` is the user's username.
    Username(String),
}

/// A login attempt the budgets let through, to settle once the password
/// has been checked.
#[derive(Debug)]
pub struct LoginAttempt {
    guard: Arc<LoginGuard>,
    ticket: Ticket,
}

impl LoginAttempt {
    /// The password was right: the attempt is given back to the budgets.
    /// A failure to do so is logged, not the login's failure.
    pub fn succeeded(self, pool: &DbPool) {
        if let Err(e) = self.guard.succeeded(pool, &self.ticket) {
            tracing::warn!(error = %e, "a successful login could not be given back to its budgets");
        }
    }

    /// The password was wrong (or the user unknown or inactive).
    pub fn failed(self, pool: &DbPool) {
        if let Err(e) = self.guard.failed(pool, &self.ticket) {
            tracing::warn!(error = %e, "a failed login could not be recorded");
        }
    }
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_seconds: u64,
    idp: Option<Arc<IdpVerifier>>,
    login_guard: Arc<LoginGuard>,
    proxies: Arc<TrustedProxies>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Our own tokens only, the default login limits, no trusted proxy.
    pub fn from_secret(secret: &[u8], ttl_seconds: u64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_seconds,
            idp: None,
            login_guard: Arc::new(LoginGuard::new(LoginLimits::default(), secret)),
            proxies: Arc::new(TrustedProxies::default()),
        }
    }

    /// Everything the settings say: our secret, the identity provider's
    /// keys (read now; a key file that cannot be read stops the start),
    /// the login limits and the trusted proxies.
    pub fn from_settings(secret: &[u8], settings: &Settings) -> anyhow::Result<Self> {
        let idp = match &settings.idp {
            Some(idp) => Some(Arc::new(IdpVerifier::start(idp.clone())?)),
            None => None,
        };
        Ok(Self {
            idp,
            login_guard: Arc::new(LoginGuard::new(settings.login_limits, secret)),
            proxies: Arc::new(TrustedProxies::new(settings.trusted_proxies.clone())),
            ..Self::from_secret(secret, settings.token_ttl_seconds)
        })
    }

    /// The address a request comes from (see [`TrustedProxies`]).
    pub fn client_address(&self, req: &HttpRequest) -> IpAddr {
        self.proxies.client_of(req)
    }

    /// Whether the request came over TLS through a trusted proxy (see
    /// [`TrustedProxies::came_over_tls`]).
    pub fn came_over_tls(&self, req: &HttpRequest) -> bool {
        self.proxies.came_over_tls(req)
    }

    /// Takes one login attempt from the budgets of `username` and
    /// `address` (shared by every instance through the database); 429
    /// `too-many-attempts` when one is spent. Call off the reactor.
    pub fn login_attempt(
        &self,
        pool: &DbPool,
        username: &str,
        address: IpAddr,
    ) -> Result<LoginAttempt, AppError> {
        match self.login_guard.take(pool, username, address)? {
            Ok(ticket) => Ok(LoginAttempt {
                guard: self.login_guard.clone(),
                ticket,
            }),
            Err((spent, retry_after_seconds)) => {
                // Neither the username nor the address: both are personal.
                let budget = match spent {
                    Spent::Address => "address",
                    Spent::Username => "username",
                };
                tracing::warn!(budget, retry_after_seconds, "login attempts limited");
                Err(AppError::TooManyAttempts {
                    retry_after_seconds,
                })
            }
        }
    }

    /// Whom a bearer token speaks for: our own HS256 token, or, when an
    /// identity provider is configured, one of its tokens. The header only
    /// routes: an `HS256` header is checked against our secret alone, any
    /// other against the provider's key of its `kid` alone, each with the
    /// one algorithm its key allows. Why a token fails goes to the log at
    /// debug; the caller gets one 401 for all.
    pub async fn identify(&self, token: &str) -> Result<Identity, AppError> {
        let refused = || AppError::Unauthorized("The token is not valid or has expired.".into());
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            refused()
        })?;
        if header.alg == Algorithm::HS256 {
            return self
                .verify(token)
                .map(|c| Identity::UserId(c.sub))
                .map_err(|e| {
                    tracing::debug!(error = %e, "token refused");
                    refused()
                });
        }
        let Some(idp) = self.idp.clone() else {
            tracing::debug!(alg = ?header.alg, "token refused: no identity provider");
            return Err(refused());
        };
        let token = token.to_owned();
        // The key file is read, or the document fetched, off the reactor.
        let verified = actix_web::web::block(move || idp.verify(&token)).await?;
        verified.map(Identity::Username).map_err(|e| {
            tracing::debug!(error = %e, "identity provider token refused");
            refused()
        })
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
    /// (30 s leeway), not issued in the future, living no longer than our
    /// lifetime, our issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, anyhow::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = decode::<Claims>(token, &self.decoding, &validation)?.claims;
        check_times(
            claims.iat,
            claims.exp,
            self.ttl_seconds,
            chrono::Utc::now().timestamp(),
        )?;
        Ok(claims)
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

    fn signed(k: &TokenKeys, change: impl FnOnce(&mut Claims)) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = Claims {
            sub: "u1".into(),
            roles: vec![],
            shelters: vec![],
            iat: now,
            exp: now + 600,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        change(&mut claims);
        encode(&Header::new(Algorithm::HS256), &claims, &k.encoding).unwrap()
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = keys();
        assert!(k.verify(&signed(&k, |_| {})).is_ok());
        let t = signed(&k, |c| {
            c.iat -= 3600;
            c.exp = c.iat + 600;
        });
        assert!(k.verify(&t).is_err());
    }

    #[test]
    fn a_token_from_the_future_or_for_too_long_is_refused() {
        let k = keys();
        let t = signed(&k, |c| {
            c.iat += 300;
            c.exp += 300;
        });
        assert!(k.verify(&t).is_err());
        let t = signed(&k, |c| c.exp += 1);
        assert!(k.verify(&t).is_err());
    }

    #[test]
    fn another_issuer_or_audience_is_refused() {
        let k = keys();
        assert!(k.verify(&signed(&k, |c| c.iss = "other".into())).is_err());
        assert!(k.verify(&signed(&k, |c| c.aud = "other".into())).is_err());
    }

    #[actix_web::test]
    async fn headers_only_route_and_never_choose_the_key() {
        let k = keys();
        let good = signed(&k, |_| {});
        assert_eq!(
            k.identify(&good).await.unwrap(),
            Identity::UserId("u1".into())
        );
        // Our secret, but a header that says RS256: without an identity
        // provider nothing takes it; with one, it is the provider's key.
        let parts: Vec<&str> = good.split('.').collect();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let message = format!("{header}.{}", parts[1]);
        let sig =
            jsonwebtoken::crypto::sign(message.as_bytes(), &k.encoding, Algorithm::HS256).unwrap();
        let t = format!("{message}.{sig}");
        assert!(k.identify(&t).await.is_err());
        let none = format!("{}.{}.", b64.encode(r#"{"alg":"none"}"#), parts[1]);
        assert!(k.identify(&none).await.is_err());
    }
}
