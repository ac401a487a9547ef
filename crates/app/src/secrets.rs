//! Secrets: encryption of channel credentials at rest, random tokens, and hashing of API keys
//! and session tokens.
//!
//! Credentials are sealed with AES-256-GCM under a key from the configuration, or generated
//! into the data dir on first start. The stored blob is `version (1 byte) || nonce (12) ||
//! ciphertext+tag`, so the scheme can change later without guessing.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

const VERSION: u8 = 1;

/// The credential-encryption key. `Debug` does not show it.
#[derive(Clone)]
pub struct SecretKey(Aes256Gcm);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Fill a buffer from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // getrandom only fails when the OS has no entropy source at all, where nothing secure can
    // be done; stopping is the right answer.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    b
}

/// A random URL-safe token with `N` bytes of entropy.
pub fn random_token<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// Hex SHA-256 of a high-entropy token (API keys, session tokens). A slow hash is not needed:
/// these are 256-bit random values, not passwords.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl SecretKey {
    /// Parse a base64 key of 32 bytes.
    pub fn from_base64(s: &str) -> AppResult<Self> {
        let bytes = STANDARD
            .decode(s.trim())
            .map_err(|_| AppError::Internal("secret key is not base64".into()))?;
        if bytes.len() != 32 {
            return Err(AppError::Internal("secret key must be 32 bytes".into()));
        }
        Aes256Gcm::new_from_slice(&bytes)
            .map(SecretKey)
            .map_err(|_| AppError::Internal("secret key is unusable".into()))
    }

    /// Read `secret.key` from the data dir, creating it (mode 0600) when absent.
    pub fn load_or_create(data_dir: &Path) -> AppResult<Self> {
        let path = data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(s) => Self::from_base64(&s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = STANDARD.encode(random_bytes::<32>());
                write_private(&path, key.as_bytes()).map_err(|e| {
                    AppError::Internal(format!("cannot write {}: {e}", path.display()))
                })?;
                Self::from_base64(&key)
            }
            Err(e) => Err(AppError::Internal(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// A random key, for tests.
    pub fn generate() -> Self {
        // 32 random bytes are always a valid AES-256 key.
        #[allow(clippy::expect_used)]
        Self::from_base64(&STANDARD.encode(random_bytes::<32>())).expect("valid key")
    }

    pub fn seal(&self, credentials: &BTreeMap<String, String>) -> AppResult<Vec<u8>> {
        let plain =
            serde_json::to_vec(credentials).map_err(|e| AppError::Internal(e.to_string()))?;
        let nonce_bytes = random_bytes::<12>();
        let ct = self
            .0
            .encrypt(&Nonce::from(nonce_bytes), plain.as_slice())
            .map_err(|_| AppError::Internal("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, blob: &[u8]) -> AppResult<BTreeMap<String, String>> {
        if blob.len() < 13 || blob[0] != VERSION {
            return Err(AppError::Internal(
                "stored credentials have an unknown format".into(),
            ));
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&blob[1..13]);
        let plain = self
            .0
            .decrypt(&Nonce::from(nonce), &blob[13..])
            .map_err(|_| {
                AppError::Internal(
                    "stored credentials cannot be decrypted (was the secret key changed?)".into(),
                )
            })?;
        serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Show the last four characters of a secret only ("••••abcd"); short secrets show nothing.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n < 12 {
        "••••".to_owned()
    } else {
        let tail: String = secret.chars().skip(n - 4).collect();
        format!("••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let k = SecretKey::generate();
        let creds = BTreeMap::from([("access_token".to_string(), "shpat_abc123".to_string())]);
        let blob = k.seal(&creds).unwrap();
        assert!(!String::from_utf8_lossy(&blob).contains("shpat_abc123"));
        assert_eq!(k.open(&blob).unwrap(), creds);
        // Another key cannot open it, and says so without the content.
        let e = SecretKey::generate().open(&blob).unwrap_err().to_string();
        assert!(e.contains("cannot be decrypted") && !e.contains("shpat"));
        // Two seals of the same data differ (fresh nonce).
        assert_ne!(k.seal(&creds).unwrap(), blob);
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretKey::load_or_create(dir.path()).unwrap();
        let b = SecretKey::load_or_create(dir.path()).unwrap();
        let creds = BTreeMap::from([("k".to_string(), "v".to_string())]);
        assert_eq!(b.open(&a.seal(&creds).unwrap()).unwrap(), creds);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn masking() {
        assert_eq!(mask("shpat_0123456789abcd"), "••••abcd");
        assert_eq!(mask("short"), "••••");
    }
}
