//! The pseudonymous ids of guests in exports.

use crate::crypto::{HmacSha256, hex_of};

/// The pseudonymous id of a guest in exports: the first 32 hex digits of
/// HMAC-SHA256(secret, guest id), `secret` keyed once by
/// [`crate::crypto::keyed`]. Stable for as long as the secret is.
pub fn pseudonym(secret: &HmacSha256, guest_id: &str) -> String {
    let mut h = hex_of(secret, guest_id.as_bytes());
    h.truncate(32);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keyed;

    #[test]
    fn pseudonyms_stay_what_they_were() {
        // An export made before keeps matching one made after.
        assert_eq!(
            pseudonym(
                &keyed(b"export secret").unwrap(),
                "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
            ),
            "271a106a369bce14e3deb730429b2e69"
        );
    }
}
