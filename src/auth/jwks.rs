//! Tokens of the city's identity provider: signed with asymmetric keys
//! (RS256, ES256, EdDSA) published as a JWKS document.
//!
//! The key is chosen by the token header's `kid`, and the algorithm comes
//! from that key (its `alg`, else its key type and curve), never from the
//! header alone: a header that names another algorithm than its key is
//! refused before any signature is checked. Symmetric (`oct`) keys in the
//! document are ignored, so the public document can never become an HMAC
//! secret. An IdP token only says who the caller is (`sub`); what the caller
//! may do is read from the users table (see `service::users::caller`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::config::{IdpSettings, JwksSource};

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: u64 = 30;
/// A fetched document is fetched again when older than this, so a key the
/// provider withdrew stops verifying within this time.
const URL_MAX_AGE: Duration = Duration::from_secs(300);
/// After the fetch at start, at most one fetch (for an unknown `kid` or an
/// old document) per this interval, so tokens with made-up key ids or a
/// provider that is down cannot make every request wait on the provider.
const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Larger documents are refused.
const MAX_DOCUMENT_BYTES: u64 = 256 * 1024;
/// RSA moduli shorter than this (in bytes: 2048 bits) are ignored.
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Why an IdP token is refused; for the log (at debug), never for the
/// client, who always gets the same 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdpError {
    #[error("the token header cannot be read: {0}")]
    Header(String),
    #[error("the token names no kid")]
    NoKid,
    #[error("no usable key has this kid")]
    UnknownKid,
    #[error("the header's alg {header:?} is not the key's {key:?}")]
    AlgorithmMismatch { header: Algorithm, key: Algorithm },
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("iat is in the future")]
    IssuedInTheFuture,
    #[error("the token lives longer than allowed")]
    LivesTooLong,
    #[error("the key document cannot be read: {0}")]
    Document(String),
}

/// One usable key: its algorithm, decided by the key.
#[derive(Clone)]
struct Key {
    alg: Algorithm,
    decoding: DecodingKey,
}

/// The usable keys of one document, by `kid`.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, Key>,
}

impl KeySet {
    /// The usable keys of a JWKS document. Keys without a `kid`, with a
    /// `kid` given twice, meant for encryption, symmetric, of another
    /// algorithm than RS256/ES256/EdDSA, or whose `alg` disagrees with their
    /// type are left out (and said in the log).
    pub fn parse(document: &[u8]) -> Result<Self, IdpError> {
        let set: JwkSet =
            serde_json::from_slice(document).map_err(|e| IdpError::Document(e.to_string()))?;
        let mut keys = HashMap::new();
        let mut twice = Vec::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                tracing::warn!("a JWKS key without kid is ignored");
                continue;
            };
            let Some(alg) = algorithm_of(jwk) else {
                tracing::warn!(kid, "a JWKS key of an algorithm not accepted is ignored");
                continue;
            };
            let decoding = match DecodingKey::from_jwk(jwk) {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!(kid, error = %e, "a JWKS key cannot be read");
                    continue;
                }
            };
            if keys.insert(kid.clone(), Key { alg, decoding }).is_some() {
                twice.push(kid);
            }
        }
        for kid in twice {
            tracing::warn!(kid, "a kid given twice in the JWKS is ignored");
            keys.remove(&kid);
        }
        Ok(Self { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.get(kid)
    }
}

/// The algorithm a key is for, from its type and curve; its `alg`, when
/// given, must say the same. `None`: the key is not used.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return None;
    }
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let n = base64_url_len(&p.n);
            if n < MIN_RSA_MODULUS_BYTES {
                return None;
            }
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        // `oct` keys (HMAC secrets) and other curves: never.
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(by_type),
        Some(alg) if alg == KeyAlgorithm::from(by_type) => Some(by_type),
        Some(_) => None,
    }
}

/// The decoded length of unpadded base64url text, leading zero bytes
/// not counted.
fn base64_url_len(text: &str) -> usize {
    let digits = text.trim_end_matches('=');
    let leading_zero_chars = digits.bytes().take_while(|b| *b == b'A').count();
    (digits.len() - leading_zero_chars) * 6 / 8
}

/// The claims of an IdP token the service reads. `aud`, `iss` and `nbf`
/// are checked by the validation.
#[derive(Debug, Deserialize)]
struct IdpClaims {
    sub: String,
    iat: i64,
    exp: i64,
}

/// Checks IdP tokens against the configured document.
pub struct IdpVerifier {
    settings: IdpSettings,
    keys: RwLock<Arc<KeySet>>,
    /// What the keys were read from: the file's bytes, or when fetched.
    loaded: Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
    file_bytes: Option<Vec<u8>>,
    /// The last successful fetch.
    fetched_at: Option<Instant>,
    /// The last fetch tried after the one at start.
    last_refetch: Option<Instant>,
}

impl std::fmt::Debug for IdpVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpVerifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl IdpVerifier {
    /// Reads the keys once. A file that cannot be read or holds no usable
    /// key stops the start; a URL that cannot be fetched is said in the log
    /// and fetched again on the first IdP token (the service's own logins
    /// go on working meanwhile).
    pub fn start(settings: IdpSettings) -> anyhow::Result<Self> {
        let verifier = Self {
            settings,
            keys: RwLock::new(Arc::new(KeySet::default())),
            loaded: Mutex::new(Loaded::default()),
        };
        match &verifier.settings.jwks {
            JwksSource::File(path) => {
                verifier
                    .reload_file(path)
                    .map_err(|e| anyhow::anyhow!("NATTPLATS_JWKS {}: {e}", path.display()))?;
                if verifier.current().is_empty() {
                    anyhow::bail!("NATTPLATS_JWKS {} holds no usable key", path.display());
                }
            }
            JwksSource::Url(url) => {
                if let Err(e) = verifier.refetch(url) {
                    tracing::warn!(error = %e, "cannot fetch the identity provider's keys at start");
                }
            }
        }
        Ok(verifier)
    }

    /// The user name an IdP token speaks for (its `sub`). Blocking: it may
    /// read the key file or fetch the document.
    pub fn verify(&self, token: &str) -> Result<String, IdpError> {
        let header = decode_header(token).map_err(|e| IdpError::Header(e.to_string()))?;
        let kid = header.kid.as_deref().ok_or(IdpError::NoKid)?;
        let keys = self.keys_for(kid);
        let key = keys.get(kid).ok_or(IdpError::UnknownKid)?;
        verify_with(key, header.alg, token, &self.settings)
    }

    /// The keys to look `kid` up in, read again when the file changed or the
    /// fetched document is old or lacks `kid`.
    fn keys_for(&self, kid: &str) -> Arc<KeySet> {
        match &self.settings.jwks {
            JwksSource::File(path) => {
                if let Err(e) = self.reload_file(path) {
                    // Fail closed: keys that may have been withdrawn are not
                    // trusted while the file cannot be read.
                    tracing::warn!(error = %e, "cannot read the identity provider's key file");
                    self.replace(KeySet::default());
                }
            }
            JwksSource::Url(url) => {
                let now = Instant::now();
                let unknown = self.current().get(kid).is_none();
                let due = match self.loaded.lock() {
                    Ok(mut l) => {
                        let stale = l
                            .fetched_at
                            .is_none_or(|at| now.duration_since(at) > URL_MAX_AGE);
                        let allowed = l
                            .last_refetch
                            .is_none_or(|at| now.duration_since(at) >= REFETCH_INTERVAL);
                        let due = (stale || unknown) && allowed;
                        if due {
                            l.last_refetch = Some(now);
                        }
                        due
                    }
                    Err(_) => false,
                };
                if due && let Err(e) = self.refetch(url) {
                    tracing::warn!(error = %e, "cannot fetch the identity provider's keys");
                }
            }
        }
        self.current()
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys.read().map(|k| Arc::clone(&k)).unwrap_or_default()
    }

    fn replace(&self, set: KeySet) {
        if let Ok(mut k) = self.keys.write() {
            *k = Arc::new(set);
        }
    }

    /// Reads the file; parses it only when its bytes changed.
    fn reload_file(&self, path: &PathBuf) -> Result<(), IdpError> {
        let bytes = read_limited(path)?;
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| IdpError::Document("lock poisoned".into()))?;
        if loaded.file_bytes.as_deref() == Some(&bytes[..]) {
            return Ok(());
        }
        let set = KeySet::parse(&bytes)?;
        tracing::info!(keys = set.len(), "read the identity provider's keys");
        self.replace(set);
        loaded.file_bytes = Some(bytes);
        Ok(())
    }

    fn refetch(&self, url: &str) -> Result<(), IdpError> {
        let bytes = fetch(url)?;
        let set = KeySet::parse(&bytes)?;
        tracing::info!(keys = set.len(), "fetched the identity provider's keys");
        self.replace(set);
        if let Ok(mut l) = self.loaded.lock() {
            l.fetched_at = Some(Instant::now());
        }
        Ok(())
    }
}

fn read_limited(path: &PathBuf) -> Result<Vec<u8>, IdpError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| IdpError::Document(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| IdpError::Document(e.to_string()))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(IdpError::Document("larger than 256 KiB".into()));
    }
    Ok(bytes)
}

fn fetch(url: &str) -> Result<Vec<u8>, IdpError> {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .max_redirects(0)
        .https_only(url.starts_with("https://"))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| IdpError::Document(e.to_string()))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_DOCUMENT_BYTES)
        .read_to_vec()
        .map_err(|e| IdpError::Document(e.to_string()))
}

/// Checks one token against the key its `kid` chose.
fn verify_with(
    key: &Key,
    header_alg: Algorithm,
    token: &str,
    settings: &IdpSettings,
) -> Result<String, IdpError> {
    if header_alg != key.alg {
        return Err(IdpError::AlgorithmMismatch {
            header: header_alg,
            key: key.alg,
        });
    }
    let mut validation = Validation::new(key.alg);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = decode::<IdpClaims>(token, &key.decoding, &validation)
        .map_err(|e| IdpError::Invalid(e.to_string()))?
        .claims;
    check_times(
        claims.iat,
        claims.exp,
        settings.max_token_lifetime_seconds,
        chrono::Utc::now().timestamp(),
    )?;
    Ok(claims.sub)
}

/// `iat` not in the future (beyond the leeway) and `exp - iat` within the
/// maximum lifetime. (`exp` itself is checked by the validation.)
pub fn check_times(iat: i64, exp: i64, max_lifetime: u64, now: i64) -> Result<(), IdpError> {
    let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
    if iat > now.saturating_add(leeway) {
        return Err(IdpError::IssuedInTheFuture);
    }
    let max = i64::try_from(max_lifetime).unwrap_or(i64::MAX);
    if exp.saturating_sub(iat) > max {
        return Err(IdpError::LivesTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    fn data(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/data/jwks/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn encoding(name: &str, alg: Algorithm) -> EncodingKey {
        let pem = data(name);
        match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_ed_pem(&pem),
        }
        .unwrap()
    }

    fn jwk(name: &str, alg: Algorithm, kid: &str) -> serde_json::Value {
        let mut jwk = Jwk::from_encoding_key(&encoding(name, alg), alg).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        serde_json::to_value(jwk).unwrap()
    }

    fn settings() -> IdpSettings {
        IdpSettings {
            jwks: JwksSource::File(PathBuf::from("unused")),
            issuer: "https://idp.example".into(),
            audience: "nattplats".into(),
            max_token_lifetime_seconds: 3600,
        }
    }

    fn claims(now: i64) -> serde_json::Value {
        json!({"sub": "desk.one", "iss": "https://idp.example", "aud": "nattplats",
               "iat": now, "exp": now + 600})
    }

    fn sign(name: &str, alg: Algorithm, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        encode(&header, claims, &encoding(name, alg)).unwrap()
    }

    fn check(set: &KeySet, token: &str) -> Result<String, IdpError> {
        let header = decode_header(token).map_err(|e| IdpError::Header(e.to_string()))?;
        let kid = header.kid.ok_or(IdpError::NoKid)?;
        let key = set.get(&kid).ok_or(IdpError::UnknownKid)?;
        verify_with(key, header.alg, token, &settings())
    }

    fn set() -> KeySet {
        let doc = json!({"keys": [
            jwk("rsa-a.pem", Algorithm::RS256, "rsa"),
            jwk("ec-p256.pem", Algorithm::ES256, "ec"),
            jwk("ed25519.pem", Algorithm::EdDSA, "ed"),
        ]});
        KeySet::parse(doc.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn each_key_type_verifies_its_own_tokens() {
        let set = set();
        assert_eq!(set.len(), 3);
        let now = chrono::Utc::now().timestamp();
        for (file, alg, kid) in [
            ("rsa-a.pem", Algorithm::RS256, "rsa"),
            ("ec-p256.pem", Algorithm::ES256, "ec"),
            ("ed25519.pem", Algorithm::EdDSA, "ed"),
        ] {
            let t = sign(file, alg, kid, &claims(now));
            assert_eq!(check(&set, &t), Ok("desk.one".to_owned()), "{kid}");
        }
    }

    #[test]
    fn the_algorithm_is_the_keys_not_the_headers() {
        let set = set();
        let now = chrono::Utc::now().timestamp();
        // An EC-signed token that points at the RSA key.
        let t = sign("ec-p256.pem", Algorithm::ES256, "rsa", &claims(now));
        assert!(matches!(
            check(&set, &t),
            Err(IdpError::AlgorithmMismatch { .. })
        ));
        // HS256 with the RSA public key as the secret.
        let public = data("rsa-a.pub.pem");
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa".into());
        let t = encode(&header, &claims(now), &EncodingKey::from_secret(&public)).unwrap();
        assert!(matches!(
            check(&set, &t),
            Err(IdpError::AlgorithmMismatch { .. })
        ));
    }

    #[test]
    fn keys_that_are_not_for_signing_with_our_algorithms_are_left_out() {
        let mut rsa_as_ps = jwk("rsa-a.pem", Algorithm::RS256, "ps");
        rsa_as_ps["alg"] = json!("PS256");
        let mut rsa_as_es = jwk("rsa-a.pem", Algorithm::RS256, "es");
        rsa_as_es["alg"] = json!("ES256");
        let mut enc = jwk("rsa-a.pem", Algorithm::RS256, "enc");
        enc["use"] = json!("enc");
        let mut no_alg = jwk("rsa-b.pem", Algorithm::RS256, "no-alg");
        no_alg.as_object_mut().unwrap().remove("alg");
        let doc = json!({"keys": [
            {"kty": "oct", "kid": "secret", "alg": "HS256", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"},
            rsa_as_ps, rsa_as_es, enc, no_alg,
            jwk("ec-p256.pem", Algorithm::ES256, "twice"),
            jwk("ed25519.pem", Algorithm::EdDSA, "twice"),
            {"kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"},
            jwk("ec-p256.pem", Algorithm::ES256, "")
        ]});
        let set = KeySet::parse(doc.to_string().as_bytes()).unwrap();
        let kids: Vec<&String> = set.keys.keys().collect();
        assert_eq!(kids.len(), 2, "{kids:?}");
        assert_eq!(set.get("no-alg").map(|k| k.alg), Some(Algorithm::RS256));
        assert!(set.get("").is_some());
        // An HS256 token made with the oct key finds no key.
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("secret".into());
        let t = encode(
            &header,
            &claims(now),
            &EncodingKey::from_secret(b"secret-secret-secret-secret"),
        )
        .unwrap();
        assert_eq!(check(&set, &t), Err(IdpError::UnknownKid));
    }

    #[test]
    fn claims_are_checked() {
        let set = set();
        let now = chrono::Utc::now().timestamp();
        let with = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut c = claims(now);
            change(&mut c);
            check(&set, &sign("rsa-a.pem", Algorithm::RS256, "rsa", &c))
        };
        assert!(with(&|c| c["exp"] = json!(now - 120)).is_err(), "expired");
        assert!(with(&|c| c["exp"] = json!(now - 10)).is_ok(), "leeway");
        assert!(with(&|c| c["nbf"] = json!(now + 300)).is_err(), "nbf");
        assert_eq!(
            with(&|c| c["iat"] = json!(now + 300)),
            Err(IdpError::IssuedInTheFuture)
        );
        assert_eq!(
            with(&|c| c["exp"] = json!(now + 7200)),
            Err(IdpError::LivesTooLong)
        );
        assert!(with(&|c| c["iss"] = json!("https://other.example")).is_err());
        assert!(with(&|c| c["aud"] = json!("someone-else")).is_err());
        assert!(with(&|c| c["aud"] = json!(["someone-else", "nattplats"])).is_ok());
        for missing in ["sub", "iat", "exp", "iss", "aud"] {
            assert!(
                with(&|c| {
                    c.as_object_mut().unwrap().remove(missing);
                })
                .is_err(),
                "{missing}"
            );
        }
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let set = set();
        let now = chrono::Utc::now().timestamp();
        let t = sign("ed25519.pem", Algorithm::EdDSA, "ed", &claims(now));
        let parts: Vec<&str> = t.split('.').collect();
        let mut forged = claims(now);
        forged["sub"] = json!("admin");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = b64.encode(forged.to_string());
        let swapped = format!("{}.{}.{}", parts[0], payload, parts[2]);
        assert!(matches!(check(&set, &swapped), Err(IdpError::Invalid(_))));
        let mut sig = b64.decode(parts[2]).unwrap();
        sig[0] ^= 1;
        let bad_sig = format!("{}.{}.{}", parts[0], parts[1], b64.encode(sig));
        assert!(matches!(check(&set, &bad_sig), Err(IdpError::Invalid(_))));
    }

    #[test]
    fn alg_none_is_refused() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = chrono::Utc::now().timestamp();
        let t = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","kid":"rsa"}"#),
            b64.encode(claims(now).to_string())
        );
        assert!(matches!(check(&set(), &t), Err(IdpError::Header(_))));
    }

    #[test]
    fn times_beyond_the_leeway_or_the_lifetime_are_refused() {
        assert!(check_times(1000, 1600, 600, 1000).is_ok());
        assert!(check_times(1030, 1600, 600, 1000).is_ok());
        assert_eq!(
            check_times(1031, 1600, 600, 1000),
            Err(IdpError::IssuedInTheFuture)
        );
        assert_eq!(
            check_times(1000, 1601, 600, 1000),
            Err(IdpError::LivesTooLong)
        );
    }

    #[test]
    fn a_file_source_follows_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.jwks");
        let both = json!({"keys": [
            jwk("rsa-a.pem", Algorithm::RS256, "a"),
            jwk("rsa-b.pem", Algorithm::RS256, "b"),
        ]});
        std::fs::write(&path, both.to_string()).unwrap();
        let mut s = settings();
        s.jwks = JwksSource::File(path.clone());
        let v = IdpVerifier::start(s).unwrap();
        let now = chrono::Utc::now().timestamp();
        let ta = sign("rsa-a.pem", Algorithm::RS256, "a", &claims(now));
        let tb = sign("rsa-b.pem", Algorithm::RS256, "b", &claims(now));
        assert!(v.verify(&ta).is_ok());
        assert!(v.verify(&tb).is_ok());
        let only_b = json!({"keys": [jwk("rsa-b.pem", Algorithm::RS256, "b")]});
        std::fs::write(&path, only_b.to_string()).unwrap();
        assert_eq!(v.verify(&ta), Err(IdpError::UnknownKid));
        assert!(v.verify(&tb).is_ok());
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(v.verify(&tb), Err(IdpError::UnknownKid), "fails closed");
    }

    #[test]
    fn a_file_without_usable_keys_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.jwks");
        std::fs::write(&path, r#"{"keys": []}"#).unwrap();
        let mut s = settings();
        s.jwks = JwksSource::File(path);
        assert!(IdpVerifier::start(s).is_err());
    }
}
