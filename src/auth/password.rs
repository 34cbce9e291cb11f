//! Passwords, hashed with argon2id (the crate's default parameters).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

pub fn hash(password: &SecretString) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// Whether `password` matches `stored`. A malformed stored hash never
/// matches.
pub fn verify(password: &SecretString, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody has, made once with the parameters
/// [`hash`] uses (a test keeps them equal), so verifying against it costs
/// what verifying a real user's password costs.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$PfhuoFa4Igylatuc9jmqKw$SCuZFSeUV22gAN9xpNUTMAP3i0S0pRfLJ1OHCn9Fib0";

/// Spends the time of one verification, so that an unknown or inactive
/// username answers as slowly as a wrong password.
pub fn verify_against_nothing(password: &SecretString) {
    let _ = verify(password, DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let pw = SecretString::from("correct horse".to_owned());
        let h = hash(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&pw, &h));
        assert!(!verify(&SecretString::from("wrong horse".to_owned()), &h));
        assert!(!verify(&pw, "not a hash"));
        assert_ne!(h, hash(&pw).unwrap(), "salted");
    }

    #[test]
    fn the_dummy_costs_what_a_real_hash_costs() {
        let real = hash(&SecretString::from("whatever-it-is".to_owned())).unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let dummy = PasswordHash::new(DUMMY).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify(&SecretString::from(String::new()), DUMMY));
    }
}
