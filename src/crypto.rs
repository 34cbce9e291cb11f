//! Keyed hashes both the reports and the login budgets use: HMAC-SHA256
//! (RFC 2104) from the `hmac` crate, keyed once and reused.

use hmac::digest::InvalidLength;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 (RFC 2104), from the `hmac` crate.
pub type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 keyed with `key`. HMAC takes a key of any length (a long
/// one is hashed first), so the error does not come; it is passed on
/// rather than assumed away.
pub fn keyed(key: &[u8]) -> Result<HmacSha256, InvalidLength> {
    HmacSha256::new_from_slice(key)
}

/// The HMAC of `message` under the keyed `mac`, hex.
pub fn hex_of(mac: &HmacSha256, message: &[u8]) -> String {
    let mut mac = mac.clone();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// HMAC-SHA256 of `message` under `key`, hex.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> Result<String, InvalidLength> {
    Ok(hex_of(&keyed(key)?, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?").unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than a block.
        assert_eq!(
            hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )
            .unwrap(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hmac_keeps_its_answers_for_short_block_sized_and_empty_keys() {
        // RFC 4231 test case 1.
        assert_eq!(
            hmac_sha256_hex(&[0x0b; 20], b"Hi There").unwrap(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // A key of exactly one block is used as it is, not hashed.
        let block: Vec<u8> = (0u8..64).collect();
        assert_eq!(
            hmac_sha256_hex(&block, b"exactly one block of key").unwrap(),
            "aed89a53f83495834369f6c764db660e0e41d224347eb2b6f2054241399e36e2"
        );
        assert_eq!(
            hmac_sha256_hex(b"", b"").unwrap(),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        );
    }
}
