//! Secrets the server generates for development when none is configured, kept in the data
//! folder so that restarts (and replicas sharing the folder) agree: the JWT secret and the
//! BYOK master key.

use std::path::Path;

use super::{Config, ConfigError};

impl Config {
    /// The JWT secret from the config, else the one kept in the data folder (created once).
    pub fn resolved_jwt_secret(&self) -> Result<String, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("jwt_secret");
        let io_err = |source| ConfigError::DataDir {
            path: path.clone(),
            source,
        };
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            tracing::warn!(path = %path.display(), "JWT_SECRET not set; using the generated secret kept in the data folder");
            return Ok(existing.trim().to_owned());
        }
        let secret = hex::encode(rand::random::<[u8; 32]>());
        std::fs::write(&path, &secret).map_err(io_err)?;
        tracing::warn!(path = %path.display(), "JWT_SECRET not set; generated one and kept it in the data folder (set JWT_SECRET in production)");
        Ok(secret)
    }

    /// The BYOK master key from the config, else the one kept in the data folder (generated
    /// once, with a warning: a development default). A malformed value is an error, never
    /// replaced: keys encrypted under it would become unreadable.
    pub fn resolved_master_key(
        &self,
    ) -> Result<crate::accounts::byok::crypto::MasterKey, ConfigError> {
        use crate::accounts::byok::crypto::MasterKey;
        let invalid = |message: String| ConfigError::InvalidEnv {
            name: "MASTER_KEY".into(),
            message,
        };
        if let Some(text) = &self.master_key {
            return MasterKey::from_base64(text).map_err(|e| invalid(e.to_string()));
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("master_key");
        let io_err = |source| ConfigError::DataDir {
            path: path.clone(),
            source,
        };
        let read = || {
            let existing = std::fs::read_to_string(&path).map_err(io_err)?;
            MasterKey::from_base64(existing.trim())
                .map_err(|e| invalid(format!("{}: {e}", path.display())))
        };
        if path.exists() {
            tracing::warn!(path = %path.display(), "MASTER_KEY not set; using the development key kept in the data folder");
            return read();
        }
        let key = MasterKey::generate();
        match write_private(&path, &key.to_base64()) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), "MASTER_KEY not set; generated a development key and kept it in the data folder (set MASTER_KEY in production)");
                Ok(key)
            }
            // Another process sharing the data folder wrote it first: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(),
            Err(e) => Err(io_err(e)),
        }
    }
}

/// Writes a secret file readable by its owner only (where the platform has permissions).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_master_key_is_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("sb-master-{}", rand::random::<u64>()));
        let config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let first = config.resolved_master_key().unwrap();
        let again = config.resolved_master_key().unwrap();
        assert_eq!(first.to_base64(), again.to_base64());
        let given = Config {
            master_key: Some("not a key".into()),
            ..config
        };
        assert!(
            given
                .resolved_master_key()
                .unwrap_err()
                .to_string()
                .contains("MASTER_KEY")
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
