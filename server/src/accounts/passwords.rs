//! Password hashing (argon2id, default parameters: 19 MiB, 2 passes) and the password policy.
//! Hashing runs on the blocking pool so it never stalls the async workers.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use super::AccountError;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Counted in characters, as JSON Schema's `maxLength` (the document states it exactly);
/// at most 512 bytes of UTF-8 reach argon2.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks the password policy: length bounds, not just one repeated character, not the email.
pub fn check_policy(password: &str, email: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::invalid(format!(
            "password: must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AccountError::invalid(format!(
            "password: must be at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let mut distinct = password.chars().collect::<Vec<_>>();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(AccountError::invalid(
            "password: too simple (use at least 4 different characters)",
        ));
    }
    if password.eq_ignore_ascii_case(email) {
        return Err(AccountError::invalid("password: must not be your email"));
    }
    Ok(())
}

pub async fn hash(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

/// Verifies a password; `None` as the hash still spends the same time (against a dummy hash)
/// so that unknown emails cannot be told apart from wrong passwords by timing.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    static DUMMY: LazyLock<String> = LazyLock::new(|| {
        Argon2::default()
            .hash_password(b"dummy password for timing")
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| DUMMY.clone());
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("short", "a@b.c").is_err());
        assert!(check_policy("aaaaaaaaaaaa", "a@b.c").is_err());
        assert!(check_policy("x@example.com", "X@example.com").is_err());
        assert!(check_policy("correct horse battery", "a@b.c").is_ok());
        // 128 characters of four bytes each pass; one character more does not.
        let longest = "\u{1F600}\u{1F601}\u{1F602}\u{1F603}".repeat(32);
        assert!(check_policy(&longest, "a@b.c").is_ok());
        assert!(check_policy(&format!("{longest}a"), "a@b.c").is_err());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(phc)).await);
        assert!(!verify("dummy password for timing".into(), None).await);
    }
}
