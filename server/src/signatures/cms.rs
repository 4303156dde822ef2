//! Checking one CMS signature (RFC 5652, as PAdES and `adbe.pkcs7.detached` carry it): the
//! digest of the signed bytes against the `messageDigest` attribute, the signature over the
//! signed attributes against the signer's certificate (RSA PKCS#1 v1.5, RSA-PSS or ECDSA P-256,
//! with SHA-256), and whether that certificate chains to a trust anchor.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;

const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Who signed, as their certificate says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Signer {
    pub common_name: Option<String>,
    /// The certificate's serial number, in hex.
    pub serial: String,
    /// The issuer's common name (or its whole name when it has none).
    pub issuer: String,
}

/// What checking a CMS signature found.
#[derive(Debug, Clone)]
pub struct Checked {
    pub signer: Option<Signer>,
    /// The digest and the signature hold.
    pub valid: bool,
    /// The signer's certificate chains to a trust anchor.
    pub trusted: bool,
    /// The `signingTime` attribute, when present.
    pub signing_time: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it is not valid, for logs.
    pub problem: Option<String>,
}

/// The common name (CN) of a distinguished name.
pub fn common_name(name: &x509_cert::name::Name) -> Option<String> {
    const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == OID_CN {
                if let Ok(s) = atv.value.decode_as::<der::asn1::Utf8StringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
                if let Ok(s) = atv.value.decode_as::<der::asn1::PrintableStringRef<'_>>() {
                    return Some(s.as_str().to_owned());
                }
            }
        }
    }
    None
}

fn signer_of(cert: &Certificate) -> Signer {
    let tbs = &cert.tbs_certificate;
    Signer {
        common_name: common_name(&tbs.subject),
        serial: hex::encode(tbs.serial_number.as_bytes()),
        issuer: common_name(&tbs.issuer).unwrap_or_else(|| tbs.issuer.to_string()),
    }
}

/// The hash of `data` by the digest algorithm named `oid`.
fn digest(oid: &ObjectIdentifier, parts: &[&[u8]]) -> Option<Vec<u8>> {
    fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        d.finalize().to_vec()
    }
    match *oid {
        OID_SHA256 => Some(run::<Sha256>(parts)),
        OID_SHA384 => Some(run::<Sha384>(parts)),
        OID_SHA512 => Some(run::<Sha512>(parts)),
        _ => None,
    }
}

/// Checks `signature` over `message` with the public key of `cert` (SHA-256).
pub fn verify_with(cert: &Certificate, message: &[u8], signature: &[u8]) -> bool {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let Ok(spki_der) = spki.to_der() else {
        return false;
    };
    if spki.algorithm.oid == OID_RSA {
        use rsa::pkcs8::DecodePublicKey;
        use rsa::signature::Verifier;
        let Ok(key) = rsa::RsaPublicKey::from_public_key_der(&spki_der) else {
            return false;
        };
        let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
            return false;
        };
        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(message, &sig)
            .is_ok()
    } else if spki.algorithm.oid == OID_EC {
        use p256::ecdsa::signature::Verifier;
        use p256::pkcs8::DecodePublicKey;
        let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der) else {
            return false;
        };
        let Ok(sig) = p256::ecdsa::DerSignature::try_from(signature) else {
            return false;
        };
        key.verify(message, &sig).is_ok()
    } else {
        false
    }
}

/// Checks an RSASSA-PSS `signature` over `message` with the key of `cert`, by the parameters
/// the signature names (SHA-256 only, with MGF1 over SHA-256, the salt length it states).
fn verify_pss(
    cert: &Certificate,
    params: Option<&der::Any>,
    message: &[u8],
    signature: &[u8],
) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    let Some(params) = params.and_then(|p| p.decode_as::<rsa::pkcs1::RsaPssParams<'_>>().ok())
    else {
        return false;
    };
    if params.hash.oid != OID_SHA256
        || params
            .mask_gen
            .parameters
            .is_none_or(|h| h.oid != OID_SHA256)
    {
        return false;
    }
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let Ok(spki_der) = spki.to_der() else {
        return false;
    };
    let Ok(key) = rsa::RsaPublicKey::from_public_key_der(&spki_der) else {
        return false;
    };
    let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
        return false;
    };
    rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key, usize::from(params.salt_len))
        .verify(message, &sig)
        .is_ok()
}

/// Whether `cert` was signed by `issuer` (SHA-256 with RSA or ECDSA).
fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let alg = cert.signature_algorithm.oid;
    if alg != OID_RSA_SHA256 && alg != OID_ECDSA_SHA256 {
        return false;
    }
    let (Ok(tbs), Some(sig)) = (cert.tbs_certificate.to_der(), cert.signature.as_bytes()) else {
        return false;
    };
    verify_with(issuer, &tbs, sig)
}

/// Whether a certificate may sign documents: its key usage, when it states one, includes
/// digitalSignature or nonRepudiation (contentCommitment).
pub fn may_sign_documents(cert: &Certificate) -> bool {
    use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) => {
            usage.0.contains(KeyUsages::DigitalSignature)
                || usage.0.contains(KeyUsages::NonRepudiation)
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// Whether `cert` was valid at `at`.
fn valid_at(cert: &Certificate, at: std::time::SystemTime) -> bool {
    let validity = &cert.tbs_certificate.validity;
    validity.not_before.to_system_time() <= at && at <= validity.not_after.to_system_time()
}

/// Whether `leaf` chains to one of `anchors` through `pool` (at most 8 links).
fn chains(leaf: &Certificate, pool: &[Certificate], anchors: &[Certificate]) -> bool {
    let mut current = leaf.clone();
    for _ in 0..8 {
        if anchors
            .iter()
            .any(|a| a == &current || issued_by(&current, a))
        {
            return true;
        }
        match pool
            .iter()
            .find(|c| *c != &current && issued_by(&current, c))
        {
            Some(next) => current = next.clone(),
            None => return false,
        }
    }
    false
}

fn not_valid(signer: Option<Signer>, problem: impl Into<String>) -> Checked {
    Checked {
        signer,
        valid: false,
        trusted: false,
        signing_time: None,
        problem: Some(problem.into()),
    }
}

/// Reads the CMS structure at the start of `contents` (a signature's `/Contents`, padded with
/// zeros after it).
pub fn parse(contents: &[u8]) -> Option<SignedData> {
    let mut reader = SliceReader::new(contents).ok()?;
    let info = ContentInfo::decode(&mut reader).ok()?;
    let _ = reader.remaining_len();
    info.content.decode_as::<SignedData>().ok()
}

/// Checks a detached CMS signature over `signed` (the parts of the file its byte range names).
///
/// `stated` is the time the PDF states (`/M`); the signer's certificate must have been valid
/// then (else now), and allowed to sign, for the signature to be trusted.
pub fn check(
    contents: &[u8],
    signed: &[&[u8]],
    anchors: &[Certificate],
    stated: Option<chrono::DateTime<chrono::Utc>>,
) -> Checked {
    let Some(data) = parse(contents) else {
        return not_valid(None, "not a CMS SignedData");
    };
    let certs: Vec<Certificate> = data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let Some(info) = data.signer_infos.0.iter().next() else {
        return not_valid(None, "no signer");
    };
    let cert = certs.iter().find(|c| match &info.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            c.tbs_certificate.issuer == isn.issuer
                && c.tbs_certificate.serial_number == isn.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => false,
    });
    let Some(cert) = cert else {
        return not_valid(None, "the signer's certificate is not in the signature");
    };
    let signer = Some(signer_of(cert));
    let Some(attrs) = &info.signed_attrs else {
        return not_valid(signer, "no signed attributes");
    };
    let mut claimed = None;
    let mut signing_time = None;
    for attr in attrs.iter() {
        if attr.oid == OID_MESSAGE_DIGEST {
            claimed = attr
                .values
                .iter()
                .next()
                .and_then(|v| v.decode_as::<OctetStringRef<'_>>().ok())
                .map(|o| o.as_bytes().to_vec());
        } else if attr.oid == OID_SIGNING_TIME {
            signing_time = attr
                .values
                .iter()
                .next()
                .and_then(|v| x509_cert::time::Time::from_der(&v.to_der().ok()?).ok())
                .and_then(|t| {
                    chrono::DateTime::from_timestamp(
                        i64::try_from(t.to_unix_duration().as_secs()).ok()?,
                        0,
                    )
                });
        }
    }
    let Some(actual) = digest(&info.digest_alg.oid, signed) else {
        return not_valid(signer, "an unsupported digest algorithm");
    };
    if claimed.as_deref() != Some(actual.as_slice()) {
        return not_valid(signer, "the signed bytes do not match the message digest");
    }
    let Ok(signed_attrs) = attrs.to_der() else {
        return not_valid(signer, "the signed attributes cannot be encoded");
    };
    let holds = if info.signature_algorithm.oid == OID_RSA_PSS {
        verify_pss(
            cert,
            info.signature_algorithm.parameters.as_ref(),
            &signed_attrs,
            info.signature.as_bytes(),
        )
    } else {
        verify_with(cert, &signed_attrs, info.signature.as_bytes())
    };
    if !holds {
        return not_valid(
            signer,
            "the signature does not verify with the signer's key",
        );
    }
    let at = signing_time
        .or(stated)
        .map_or_else(std::time::SystemTime::now, std::time::SystemTime::from);
    Checked {
        trusted: chains(cert, &certs, anchors) && valid_at(cert, at) && may_sign_documents(cert),
        signer,
        valid: true,
        signing_time,
        problem: None,
    }
}
