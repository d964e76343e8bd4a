//! BYOK keys at rest: AES-256-GCM under the deployment's master key, a fresh random 96-bit
//! nonce per encryption, and the organization and provider bound as associated data, so a
//! ciphertext copied to another organization's (or provider's) row fails authentication
//! instead of handing that organization someone else's key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

/// Bumped if the associated-data layout ever changes (old rows would then need rotation).
const AAD_VERSION: &str = "switchboard.byok.v1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes written in base64 ({0})")]
    BadMasterKey(String),
    /// Wrong master key, a row moved to another organization or provider, or tampering.
    #[error(
        "the stored key does not decrypt under this master key for this organization and provider"
    )]
    Undecryptable,
}

/// The 32-byte master key. Never printed.
#[derive(Clone)]
pub struct MasterKey(Aes256Gcm, [u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A sealed key as stored: base64 nonce and base64 ciphertext (with its tag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: String,
    pub ciphertext: String,
}

fn aad(org_id: &str, provider: &str) -> Vec<u8> {
    // NUL separators: neither ids nor slugs contain one, so the fields cannot run together.
    format!("{AAD_VERSION}\0{org_id}\0{provider}").into_bytes()
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        MasterKey(Aes256Gcm::new(&bytes.into()), bytes)
    }

    pub fn from_base64(text: &str) -> Result<MasterKey, CryptoError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| CryptoError::BadMasterKey(e.to_string()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| CryptoError::BadMasterKey(format!("{} bytes", b.len())))?;
        Ok(MasterKey::from_bytes(bytes))
    }

    pub fn generate() -> MasterKey {
        MasterKey::from_bytes(rand::random())
    }

    pub fn to_base64(&self) -> String {
        B64.encode(self.1)
    }

    /// Encrypts `secret` for `org_id`'s key at `provider`.
    pub fn seal(&self, org_id: &str, provider: &str, secret: &str) -> Sealed {
        let nonce_bytes: [u8; 12] = rand::random();
        let aad = aad(org_id, provider);
        let ciphertext = self
            .0
            .encrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: secret.as_bytes(),
                    aad: &aad,
                },
            )
            // Only fails for messages beyond GCM's 64 GiB bound; request bodies are far smaller.
            .expect("AES-GCM encryption of a short message");
        Sealed {
            nonce: B64.encode(nonce_bytes),
            ciphertext: B64.encode(ciphertext),
        }
    }

    /// Decrypts a stored key; fails unless this master key sealed it for this organization
    /// and provider.
    pub fn open(
        &self,
        org_id: &str,
        provider: &str,
        sealed: &Sealed,
    ) -> Result<String, CryptoError> {
        let nonce: [u8; 12] = B64
            .decode(&sealed.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(CryptoError::Undecryptable)?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| CryptoError::Undecryptable)?;
        let aad = aad(org_id, provider);
        let plain = self
            .0
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_for_the_same_key_org_and_provider() {
        let key = MasterKey::generate();
        let sealed = key.seal("org_a", "openai", "sk-secret-1234");
        assert!(!sealed.ciphertext.contains("secret"));
        assert_eq!(
            key.open("org_a", "openai", &sealed).unwrap(),
            "sk-secret-1234"
        );
        assert!(key.open("org_b", "openai", &sealed).is_err(), "another org");
        assert!(
            key.open("org_a", "anthropic", &sealed).is_err(),
            "another provider"
        );
        let other = MasterKey::generate();
        assert!(
            other.open("org_a", "openai", &sealed).is_err(),
            "another master key"
        );
        // A fresh nonce every time: the same secret never seals to the same bytes.
        let again = key.seal("org_a", "openai", "sk-secret-1234");
        assert_ne!(again.nonce, sealed.nonce);
        assert_ne!(again.ciphertext, sealed.ciphertext);
    }

    #[test]
    fn master_keys_round_trip_through_base64_and_reject_other_lengths() {
        let key = MasterKey::generate();
        let back = MasterKey::from_base64(&key.to_base64()).unwrap();
        let sealed = key.seal("o", "p", "x");
        assert_eq!(back.open("o", "p", &sealed).unwrap(), "x");
        assert!(MasterKey::from_base64(&B64.encode([0u8; 16])).is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }
}
