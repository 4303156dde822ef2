//! Signing and checking in-process, without HTTP: a PDF signed through both phases verifies;
//! the known attacks on PDF signatures (universal signature forgery, incremental saving,
//! signature wrapping) are recognised as invalid or modified.

use der::Decode;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use x509_cert::Certificate;

use super::incremental::{FieldSpec, Placement, prepare};
use super::{cades, verify};

struct Keys {
    anchor: Certificate,
    chain: Vec<Certificate>,
    key: p256::ecdsa::SigningKey,
}

fn keys(usages: Vec<KeyUsagePurpose>) -> Keys {
    keys_valid(usages, None)
}

/// A calendar day: year, month, day.
type Day = (i32, u8, u8);

/// Keys whose leaf is valid only between the two days given.
fn keys_valid(usages: Vec<KeyUsagePurpose>, validity: Option<(Day, Day)>) -> Keys {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "CA thử");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "Trần Thị Bình");
    leaf.key_usages = usages;
    if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
        leaf.not_before = rcgen::date_time_ymd(y1, m1, d1);
        leaf.not_after = rcgen::date_time_ymd(y2, m2, d2);
    }
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let anchor = Certificate::from_der(ca_cert.der()).unwrap();
    Keys {
        chain: vec![Certificate::from_der(cert.der()).unwrap(), anchor.clone()],
        anchor,
        key: p256::ecdsa::SigningKey::from_pkcs8_der(&key.serialize_der()).unwrap(),
    }
}

fn signing_keys() -> Keys {
    keys(vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
    ])
}

fn spec(name: &str) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        placement: Some(Placement {
            page: 1,
            rect: [300.0, 100.0, 480.0, 160.0],
        }),
        lines: vec![
            "Ký số bởi: Trần Thị Bình".into(),
            "2026-12-07T10:30:00+07:00".into(),
        ],
        image: None,
        color: [0.05, 0.2, 0.6],
        signer_name: Some("Trần Thị Bình".into()),
        reason: None,
        location: None,
        signed_at: chrono::DateTime::parse_from_rfc3339("2026-12-07T10:30:00+07:00").unwrap(),
    }
}

fn sample() -> Vec<u8> {
    crate::documents::book::text_pdf(&[crate::documents::book::Line::new("Biên bản họp", 12.0, 0)])
        .unwrap()
}

/// Signs `pdf` as the two phases do.
fn sign(pdf: &[u8], keys: &Keys, field: &str) -> Vec<u8> {
    let room = cades::contents_room(&keys.chain).unwrap();
    let prepared = prepare(pdf, &spec(field), room).unwrap();
    let attrs = cades::signed_attributes(&prepared.digest(), &keys.chain[0]).unwrap();
    let to_sign = cades::to_sign(&attrs).unwrap();
    assert_eq!(to_sign[0], 0x31);
    let sig: p256::ecdsa::Signature = keys.key.sign(&to_sign);
    let cms = cades::signed_data(&keys.chain, attrs, sig.to_der().as_bytes()).unwrap();
    prepared.embed(&cms).unwrap()
}

#[test]
fn a_signed_pdf_verifies_and_a_second_signature_keeps_the_first() {
    let k = signing_keys();
    let once = sign(&sample(), &k, "ThuKy");
    let found = verify(&once, std::slice::from_ref(&k.anchor));
    assert_eq!(found.len(), 1);
    let s = &found[0];
    assert!(
        s.valid && s.trusted && s.covers_whole_document && !s.modified_after,
        "{s:?}"
    );
    assert_eq!(s.field.as_deref(), Some("ThuKy"));
    assert_eq!(s.sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
    assert_eq!(
        s.signer.as_ref().and_then(|x| x.common_name.as_deref()),
        Some("Trần Thị Bình")
    );
    assert_eq!(
        s.signed_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-12-07T03:30:00+00:00")
    );

    let twice = sign(&once, &k, "ChuToa");
    assert!(twice.starts_with(&once));
    let found = verify(&twice, std::slice::from_ref(&k.anchor));
    assert_eq!(found.len(), 2);
    assert!(found[0].valid && found[0].modified_after && !found[0].covers_whole_document);
    assert!(found[1].valid && found[1].covers_whole_document);
    // Without the anchor: valid, not trusted.
    assert!(!verify(&twice, &[])[1].trusted);
}

#[test]
fn a_certificate_that_may_not_sign_is_not_trusted() {
    let k = keys(vec![KeyUsagePurpose::KeyEncipherment]);
    let pdf = sign(&sample(), &k, "KySo");
    let s = &verify(&pdf, std::slice::from_ref(&k.anchor))[0];
    assert!(s.valid && !s.trusted, "{s:?}");
}

#[test]
fn a_certificate_not_valid_at_the_signing_time_is_not_trusted() {
    // The signature states 2026-12-07 (/M); one leaf expired in 2021, one begins in 2030.
    for validity in [((2020, 1, 1), (2021, 1, 1)), ((2030, 1, 1), (2031, 1, 1))] {
        let k = keys_valid(vec![KeyUsagePurpose::DigitalSignature], Some(validity));
        let pdf = sign(&sample(), &k, "KySo");
        let s = &verify(&pdf, std::slice::from_ref(&k.anchor))[0];
        assert!(s.valid && !s.trusted, "{validity:?}: {s:?}");
    }
}

/// The `/ByteRange` array's text and where it is.
fn byte_range(pdf: &[u8]) -> (usize, usize) {
    let at = memchr::memmem::rfind(pdf, b"/ByteRange").unwrap();
    let open = at + pdf[at..].iter().position(|b| *b == b'[').unwrap();
    let close = open + pdf[open..].iter().position(|b| *b == b']').unwrap();
    (open, close + 1)
}

fn with_range(pdf: &[u8], text: &str) -> Vec<u8> {
    let (open, close) = byte_range(pdf);
    let mut out = pdf.to_vec();
    let padded = format!("{text:<width$}", width = close - open);
    assert_eq!(padded.len(), close - open, "the forged range fits");
    out[open..close].copy_from_slice(padded.as_bytes());
    out
}

#[test]
fn universal_signature_forgeries_are_invalid() {
    let k = signing_keys();
    let pdf = sign(&sample(), &k, "ThuKy");
    let anchors = std::slice::from_ref(&k.anchor);
    let len = pdf.len();
    let forged = [
        // Pointing outside the file.
        format!("[0 10 20 {}]", len),
        // Overlapping parts.
        format!("[0 {} 10 {}]", len / 2, len - 10),
        // Covering nothing.
        "[0 0 0 0]".to_owned(),
        // Not four numbers.
        "[0 10]".to_owned(),
    ];
    for text in forged {
        let found = verify(&with_range(&pdf, &text), anchors);
        assert_eq!(found.len(), 1, "{text}");
        assert!(!found[0].valid, "{text}: {found:?}");
    }
    // No byte range at all.
    let mut stripped = pdf.clone();
    let at = memchr::memmem::rfind(&stripped, b"/ByteRange").unwrap();
    stripped[at..at + 10].copy_from_slice(b"/ByteRangX");
    assert!(verify(&stripped, anchors).iter().all(|s| !s.valid));
    // Contents that are not hex: the file no longer reads as a signature that holds.
    let mut garbled = pdf.clone();
    let c = memchr::memmem::rfind(&garbled, b"/Contents<").unwrap() + 12;
    garbled[c] = b'Z';
    assert!(verify(&garbled, anchors).iter().all(|s| !s.valid));
}

#[test]
fn an_update_after_the_signature_is_reported_as_such() {
    // Incremental saving attack: a later revision changes what the page shows; the signature
    // still holds for its own revision, and says that bytes came after it.
    let k = signing_keys();
    let pdf = sign(&sample(), &k, "ThuKy");
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let mut inc = lopdf::IncrementalDocument::create_from(pdf.clone(), doc);
    let page = inc.get_prev_documents().get_pages()[&1];
    inc.opt_clone_object_to_new_document(page).unwrap();
    let content = inc.new_document.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT /F1 40 Tf 100 500 Td (KHONG DONG Y) Tj ET".to_vec(),
    ));
    inc.new_document
        .get_object_mut(page)
        .unwrap()
        .as_dict_mut()
        .unwrap()
        .set("Contents", lopdf::Object::Reference(content));
    let mut changed = Vec::new();
    inc.save_to(&mut changed).unwrap();
    let found = verify(&changed, std::slice::from_ref(&k.anchor));
    assert_eq!(found.len(), 1);
    assert!(found[0].valid && found[0].modified_after && !found[0].covers_whole_document);
}

#[test]
fn a_wrapped_signature_is_invalid() {
    // Signature wrapping: the byte range is moved so that a second /Contents placed elsewhere
    // is what it leaves out; the hole is no longer the signature's own /Contents.
    let k = signing_keys();
    let pdf = sign(&sample(), &k, "ThuKy");
    let len = pdf.len();
    let (open, _) = byte_range(&pdf);
    let text = format!("[0 {} {} {}]", open, open + 4, len - open - 4);
    let found = verify(&with_range(&pdf, &text), std::slice::from_ref(&k.anchor));
    assert_eq!(found.len(), 1);
    assert!(!found[0].valid, "{found:?}");
}

#[test]
fn a_flipped_byte_in_the_signed_range_is_invalid() {
    let k = signing_keys();
    let mut pdf = sign(&sample(), &k, "ThuKy");
    // In the binary comment of the header: the file still reads the same.
    let at = pdf.iter().position(|b| *b == b'\n').unwrap() + 2;
    pdf[at] ^= 0x01;
    let found = verify(&pdf, std::slice::from_ref(&k.anchor));
    assert_eq!(found.len(), 1);
    assert!(!found[0].valid, "{found:?}");
}
