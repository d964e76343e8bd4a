//! Identifiers and secret tokens. Ids are `<prefix>_<26 base32 chars>` (128 random bits):
//! portable across databases, unguessable, and self-describing in logs and URLs.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new random id such as `org_4k2m...`.
pub fn new_id(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::random();
    let mut value = u128::from_be_bytes(bytes);
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    for _ in 0..26 {
        out.push(ALPHABET[(value & 31) as usize] as char);
        value >>= 5;
    }
    out
}

/// 32 random bytes as 64 lower-case hex characters: the secret part of keys and tokens.
pub fn random_hex_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Hex SHA-256: how API keys and refresh tokens are stored. Keys are long random strings,
/// so a fast hash is enough (argon2 is for low-entropy passwords).
pub fn sha256_hex(input: &str) -> String {
    hex::encode(Sha256::digest(input.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = new_id("org");
        let b = new_id("org");
        assert!(a.starts_with("org_") && a.len() == 30, "{a}");
        assert_ne!(a, b);
        assert_eq!(random_hex_secret().len(), 64);
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
