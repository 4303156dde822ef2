//! Making the CMS a PAdES baseline B-B signature carries (CAdES, ETSI EN 319 122): the signed
//! attributes a signer signs (content type, message digest, signing-certificate-v2; no
//! signing time, the PDF's `/M` says when), and the SignedData around the signature once it
//! comes back. The key is never here: whoever holds it signs the attributes' DER.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

const OID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// ESSCertIDv2 (RFC 5035) with its default hash algorithm (SHA-256) left out, as DER wants.
#[derive(Debug, Clone, der::Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// SigningCertificateV2 (RFC 5035), binding the signature to the signer's certificate.
#[derive(Debug, Clone, der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The kinds of key a signer may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256, signatures as DER `(r, s)`.
    P256,
    /// RSA with PKCS#1 v1.5 padding; the modulus length in bytes.
    Rsa(usize),
}

impl KeyKind {
    /// The key of a certificate, when it is one we sign and verify with.
    pub fn of(cert: &Certificate) -> Option<Self> {
        let spki = &cert.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid == OID_EC {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            (curve == Some(OID_P256)).then_some(Self::P256)
        } else if spki.algorithm.oid == OID_RSA {
            use rsa::pkcs8::DecodePublicKey;
            use rsa::traits::PublicKeyParts;
            let der = spki.to_der().ok()?;
            let key = rsa::RsaPublicKey::from_public_key_der(&der).ok()?;
            Some(Self::Rsa(key.size()))
        } else {
            None
        }
    }

    /// The longest signature such a key makes.
    fn max_signature_len(self) -> usize {
        match self {
            // SEQUENCE { INTEGER r, INTEGER s }, each up to 33 bytes.
            Self::P256 => 72,
            Self::Rsa(n) => n,
        }
    }

    fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        match self {
            Self::P256 => AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            Self::Rsa(_) => AlgorithmIdentifierOwned {
                oid: OID_RSA_SHA256,
                parameters: Some(Any::null()),
            },
        }
    }
}

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: OID_SHA256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> der::Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The signed attributes of a signature over bytes whose SHA-256 is `digest`, by `leaf`.
pub fn signed_attributes(digest: &[u8], leaf: &Certificate) -> der::Result<SignedAttributes> {
    let cert_hash = Sha256::digest(leaf.to_der()?);
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(cert_hash.to_vec())?,
        }],
    };
    SetOfVec::try_from(vec![
        attribute(OID_CONTENT_TYPE, Any::encode_from(&OID_DATA)?)?,
        attribute(
            OID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
        attribute(
            OID_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&signing_certificate)?,
        )?,
    ])
}

/// The bytes the signer signs: the signed attributes encoded as a SET (first byte 0x31).
pub fn to_sign(attrs: &SignedAttributes) -> der::Result<Vec<u8>> {
    attrs.to_der()
}

/// Reads back the attributes `to_sign` encoded.
pub fn attributes_from(der_bytes: &[u8]) -> der::Result<SignedAttributes> {
    SignedAttributes::from_der(der_bytes)
}

/// The DER of the ContentInfo (SignedData, detached) carrying `signature` over `attrs`, with
/// the whole chain (leaf first) for verifiers.
pub fn signed_data(
    chain: &[Certificate],
    attrs: SignedAttributes,
    signature: &[u8],
) -> der::Result<Vec<u8>> {
    let leaf = chain.first().ok_or(der::ErrorKind::Failed)?;
    let kind = KeyKind::of(leaf).ok_or(der::ErrorKind::Failed)?;
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: leaf.tbs_certificate.issuer.clone(),
            serial_number: leaf.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(attrs),
        signature_algorithm: kind.signature_algorithm(),
        signature: OctetString::new(signature.to_vec())?,
        unsigned_attrs: None,
    };
    let certificates = SetOfVec::try_from(
        chain
            .iter()
            .cloned()
            .map(CertificateChoices::Certificate)
            .collect::<Vec<_>>(),
    )?;
    let data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: OID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info])?),
    };
    ContentInfo {
        content_type: OID_SIGNED_DATA,
        content: Any::encode_from(&data)?,
    }
    .to_der()
}

/// How many bytes the `/Contents` of a signature by `chain` needs: the SignedData with the
/// longest signature the leaf's key makes, and room to spare.
pub fn contents_room(chain: &[Certificate]) -> der::Result<usize> {
    let leaf = chain.first().ok_or(der::ErrorKind::Failed)?;
    let kind = KeyKind::of(leaf).ok_or(der::ErrorKind::Failed)?;
    let attrs = signed_attributes(&[0; 32], leaf)?;
    let longest = signed_data(chain, attrs, &vec![0xFF; kind.max_signature_len()])?;
    Ok(longest.len() + 64)
}
