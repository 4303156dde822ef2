//! The organisation's seal (con dấu số): a PKCS#12 key and chain configured on the server
//! (`signing.key_file`, its password from an environment variable or a file), read once at
//! start so that a broken configuration stops the server there rather than at the first
//! signing. The key signs here, through the same two phases as any signer's.

use std::path::Path;

use anyhow::{Context, bail};
use der::{Decode, Encode};
use sha2::Sha256;
use x509_cert::Certificate;

use crate::config::SigningSettings;

enum Key {
    P256(p256::ecdsa::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

/// The seal's key and chain (leaf first).
pub struct Seal {
    key: Key,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Seal")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

fn password(settings: &SigningSettings) -> anyhow::Result<String> {
    if let Some(file) = &settings.key_password_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("signing.key_password_file {}", file.display()))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_owned());
    }
    let var = &settings.key_password_env;
    std::env::var(var)
        .with_context(|| format!("the seal's password: set {var}, or signing.key_password_file"))
}

/// The public key of `cert` as its SubjectPublicKeyInfo DER.
fn spki_of(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate.subject_public_key_info.to_der().ok()
}

impl Seal {
    /// Reads the configured seal, if one is configured.
    pub fn load(settings: &SigningSettings) -> anyhow::Result<Option<Self>> {
        let Some(path) = &settings.key_file else {
            return Ok(None);
        };
        Self::read(path, &password(settings)?).map(Some)
    }

    /// Reads a PKCS#12 file.
    pub fn read(path: &Path, password: &str) -> anyhow::Result<Self> {
        let data =
            std::fs::read(path).with_context(|| format!("signing.key_file {}", path.display()))?;
        let store = p12_keystore::KeyStore::from_pkcs12(&data, password).map_err(|e| {
            anyhow::anyhow!(
                "signing.key_file {}: cannot be opened (wrong password, or not PKCS#12): {e}",
                path.display()
            )
        })?;
        let Some((_, entry)) = store.private_key_chain() else {
            bail!("signing.key_file {}: holds no private key", path.display());
        };
        let certs = entry
            .chain()
            .iter()
            .map(|c| Certificate::from_der(c.as_der()))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("signing.key_file {}: a certificate", path.display()))?;
        let (key, public) = Self::key(entry.key())
            .with_context(|| format!("signing.key_file {}", path.display()))?;
        // The leaf is the certificate of this key; the others follow.
        let Some(at) = certs
            .iter()
            .position(|c| spki_of(c).as_ref() == Some(&public))
        else {
            bail!(
                "signing.key_file {}: no certificate for its key",
                path.display()
            );
        };
        let mut chain = certs;
        let leaf = chain.remove(at);
        chain.insert(0, leaf);
        super::signing::read_chain(
            &chain
                .iter()
                .map(|c| {
                    c.to_der().map(|d| {
                        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, d)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
        .map_err(|e| anyhow::anyhow!("signing.key_file {}: {e}", path.display()))?;
        Ok(Self { key, chain })
    }

    /// A PKCS#8 private key, and its public key as SubjectPublicKeyInfo DER.
    fn key(pkcs8: &[u8]) -> anyhow::Result<(Key, Vec<u8>)> {
        use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8) {
            let public = key.verifying_key().to_public_key_der()?.into_vec();
            return Ok((Key::P256(key), public));
        }
        if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_der(pkcs8) {
            let public =
                rsa::pkcs8::EncodePublicKey::to_public_key_der(&key.to_public_key())?.into_vec();
            return Ok((
                Key::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<Sha256>::new(key))),
                public,
            ));
        }
        bail!("the key is neither ECDSA P-256 nor RSA")
    }

    /// The chain, leaf first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// Signs `message` with SHA-256 (ECDSA: DER; RSA: PKCS#1 v1.5).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        match &self.key {
            Key::P256(key) => {
                let sig: p256::ecdsa::Signature = key.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Key::Rsa(key) => key.sign(message).to_vec(),
        }
    }
}
