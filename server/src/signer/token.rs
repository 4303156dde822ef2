//! A key on a PKCS#11 token (a USB token of the Government CA, a smart card, SoftHSM in
//! tests), through the token's own module (`cryptoki`). The key never leaves the token: it
//! signs the SHA-256 of what the server sends (ECDSA, raw `r‖s` turned into DER here) or the
//! message itself (RSA PKCS#1 v1.5 with SHA-256, hashed by the token).

use std::path::Path;

use anyhow::{Context, bail};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::Decode;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

/// A signing key on a token, logged in.
pub struct Token {
    session: Session,
    key: ObjectHandle,
    ec: bool,
    chain: Vec<Certificate>,
    // Kept for the session's life.
    _module: Pkcs11,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("ec", &self.ec)
            .finish_non_exhaustive()
    }
}

fn value_of(session: &Session, object: ObjectHandle, what: AttributeType) -> Option<Attribute> {
    session
        .get_attributes(object, &[what])
        .ok()
        .and_then(|mut a| a.pop())
}

impl Token {
    /// Opens `slot` of the module (a slot id, or the index among slots holding a token) and
    /// logs in with `pin`; finds the private key and the certificates stored with it.
    pub fn open(module: &Path, slot: u64, pin: &str) -> anyhow::Result<Self> {
        let pkcs11 = Pkcs11::new(module)
            .with_context(|| format!("the PKCS#11 module {}", module.display()))?;
        pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))?;
        let slots = pkcs11.get_slots_with_token()?;
        let chosen = slots
            .iter()
            .find(|s| s.id() == slot)
            .or_else(|| usize::try_from(slot).ok().and_then(|i| slots.get(i)))
            .copied()
            .with_context(|| format!("no token in slot {slot}"))?;
        let session = pkcs11.open_ro_session(chosen)?;
        session
            .login(UserType::User, Some(&AuthPin::new(pin.into())))
            .context("logging in to the token (wrong PIN?)")?;
        let keys = session.find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])?;
        let Some(&key) = keys.first() else {
            bail!("the token holds no private key");
        };
        let ec = match value_of(&session, key, AttributeType::KeyType) {
            Some(Attribute::KeyType(KeyType::EC)) => true,
            Some(Attribute::KeyType(KeyType::RSA)) => false,
            _ => bail!("the token's key is neither EC nor RSA"),
        };
        let key_id = match value_of(&session, key, AttributeType::Id) {
            Some(Attribute::Id(id)) => id,
            _ => Vec::new(),
        };
        let mut leaf = None;
        let mut others = Vec::new();
        for cert in session.find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])? {
            let Some(Attribute::Value(der)) = value_of(&session, cert, AttributeType::Value) else {
                continue;
            };
            let parsed = Certificate::from_der(&der).context("a certificate on the token")?;
            let same_id = matches!(value_of(&session, cert, AttributeType::Id), Some(Attribute::Id(id)) if id == key_id);
            if same_id && leaf.is_none() {
                leaf = Some(parsed);
            } else {
                others.push(parsed);
            }
        }
        let Some(leaf) = leaf else {
            bail!("the token holds no certificate for its key");
        };
        let mut chain = vec![leaf];
        chain.extend(others);
        Ok(Self {
            session,
            key,
            ec,
            chain,
            _module: pkcs11,
        })
    }

    /// The chain, the key's certificate first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// Signs `message` with SHA-256 (ECDSA: DER; RSA: PKCS#1 v1.5).
    pub fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        if self.ec {
            let digest = Sha256::digest(message);
            let raw = self.session.sign(&Mechanism::Ecdsa, self.key, &digest)?;
            let sig = p256::ecdsa::Signature::from_slice(&raw)
                .context("the token's ECDSA signature is not P-256")?;
            Ok(sig.to_der().as_bytes().to_vec())
        } else {
            Ok(self
                .session
                .sign(&Mechanism::Sha256RsaPkcs, self.key, message)?)
        }
    }
}
