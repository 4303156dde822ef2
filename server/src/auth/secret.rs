//! The keys the server keeps: the HMAC key that signs access tokens and the AES key of
//! second-factor secrets, each taken from the settings, or generated once into the data
//! directory (mode 0600) and read back on later starts. Never logged.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const FILE_NAME: &str = "jwt-secret";
const MIN_BYTES: usize = 32;

pub fn load_or_generate(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        anyhow::ensure!(
            secret.len() >= MIN_BYTES,
            "auth.jwt_secret must be at least {MIN_BYTES} bytes long"
        );
        return Ok(secret.as_bytes().to_vec());
    }
    key_file(&data_dir.join(FILE_NAME), data_dir, 64)
}

/// The AES-256 key of second-factor secrets: `auth.mfa_key` (base64 of 32 bytes), or
/// generated once into `<data>/mfa-key`.
pub fn mfa_key(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(text) = configured {
        let key = STANDARD.decode(text.trim())?;
        anyhow::ensure!(key.len() == 32, "auth.mfa_key must be base64 of 32 bytes");
        return Ok(key);
    }
    let key = key_file(&data_dir.join("mfa-key"), data_dir, 32)?;
    anyhow::ensure!(
        key.len() == 32,
        "the data directory's mfa-key is not 32 bytes"
    );
    Ok(key)
}

/// A random key of `len` bytes kept (base64) in `path`, made on first use.
fn key_file(path: &Path, data_dir: &Path, len: usize) -> anyhow::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = STANDARD.decode(text.trim())?;
            anyhow::ensure!(
                key.len() >= len.min(MIN_BYTES),
                "{} is too short",
                path.display()
            );
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let key: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(STANDARD.encode(&key).as_bytes())?;
                    file.sync_all()?;
                    tracing::info!(path = %path.display(), "generated a new key");
                    Ok(key)
                }
                // Another instance sharing the directory won the race: use its key.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    key_file(path, data_dir, len)
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_generate(None, dir.path()).unwrap();
        let b = load_or_generate(None, dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn short_configured_secret_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_or_generate(Some("short"), dir.path()).is_err());
    }
}
