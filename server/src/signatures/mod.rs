//! Digital signatures in documents (ký số; contract v2, "Signatures"): reading and checking
//! every signature a PDF version carries, whether it was signed here or by an outside tool
//! (`cms`), and signing: PAdES baseline B-B approval signatures appended as incremental
//! updates (`incremental`, `cades`), in two phases for keys that never leave their owner
//! (`signing`), with the organisation's seal (`seal`), in the record's signature blocks
//! (`rooms`), showing the signer's picture or the seal's (`images`).
//!
//! A signature is a signature dictionary (`/Type /Sig`) whose `/ByteRange` names the bytes it
//! covers (the whole revision but the `/Contents` hole) and whose `/Contents` is a CMS
//! SignedData (`cms`). The PDF is read with lopdf only once the upload check (`documents::
//! validate`, in a limited child process) accepted the same bytes with the same parser.
//!
//! Depends downward only (documents' blob store through its callers); nothing below imports it.

pub mod cades;
pub mod cms;
pub mod handlers;
pub mod images;
pub mod incremental;
pub mod rooms;
pub mod seal;
pub mod signing;

use lopdf::{Document, Object};
use serde::Serialize;
use x509_cert::Certificate;

use self::cms::Signer;

/// Checked signatures of document versions, kept by the SHA-256 of their bytes.
pub type Verified =
    std::sync::Arc<quick_cache::sync::Cache<String, std::sync::Arc<Vec<SignatureInfo>>>>;

/// One signature as `GET /api/v1/documents/{id}/signatures` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignatureInfo {
    /// The signature field's name (`/T`), when the signature hangs from a field.
    pub field: Option<String>,
    pub signer: Option<Signer>,
    /// The signing time the signature states (`signingTime`, else the dictionary's `/M`).
    pub signed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `ETSI.CAdES.detached` (PAdES) or `adbe.pkcs7.detached`.
    pub sub_filter: Option<String>,
    /// The CMS signature and digest hold.
    pub valid: bool,
    /// The signer's certificate chains to a configured trust anchor.
    pub trusted: bool,
    /// The signature covers every byte of its revision but its own `/Contents`, and the file
    /// ends there.
    pub covers_whole_document: bool,
    /// Bytes were appended after this signature (a later revision).
    pub modified_after: bool,
}

fn name_of(obj: Option<&Object>) -> Option<String> {
    match obj? {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

fn text_of(obj: Option<&Object>) -> Option<String> {
    match obj? {
        Object::String(bytes, _) => {
            // UTF-16BE with a byte order mark, else PDFDocEncoding (read as Latin-1).
            if bytes.starts_with(&[0xFE, 0xFF]) {
                let units: Vec<u16> = bytes[2..]
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                Some(String::from_utf16_lossy(&units))
            } else {
                Some(bytes.iter().map(|b| char::from(*b)).collect())
            }
        }
        _ => None,
    }
}

/// A PDF date ("D:20261207103000+07'00'") as UTC.
fn pdf_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = text.strip_prefix("D:").unwrap_or(text);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 14 {
        return None;
    }
    let local = chrono::NaiveDateTime::parse_from_str(&digits[..14], "%Y%m%d%H%M%S").ok()?;
    let rest = &t[14..];
    let offset_secs = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let nums: Vec<i32> = rest[1..]
                .split('\'')
                .filter_map(|p| p.parse().ok())
                .collect();
            let secs =
                nums.first().copied().unwrap_or(0) * 3600 + nums.get(1).copied().unwrap_or(0) * 60;
            if sign == '-' { -secs } else { secs }
        }
        _ => 0,
    };
    Some((local - chrono::Duration::seconds(offset_secs.into())).and_utc())
}

/// Every signature of `bytes` (one version of a document), checked.
pub fn verify(bytes: &[u8], anchors: &[Certificate]) -> Vec<SignatureInfo> {
    verify_ranges(bytes, anchors)
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// Every signature of `bytes`, checked, with where the bytes it covers end.
pub fn verify_ranges(bytes: &[u8], anchors: &[Certificate]) -> Vec<(SignatureInfo, usize)> {
    let Ok(doc) = Document::load_mem(bytes) else {
        return Vec::new();
    };
    // Field names, by the signature dictionary their value points to.
    let mut fields = std::collections::HashMap::new();
    for (_, obj) in doc.objects.iter() {
        if let Ok(dict) = obj.as_dict()
            && name_of(dict.get(b"FT").ok()).as_deref() == Some("Sig")
            && let Ok(Object::Reference(v)) = dict.get(b"V")
            && let Some(t) = text_of(dict.get(b"T").ok())
        {
            fields.insert(*v, t);
        }
    }
    let mut found = Vec::new();
    for (id, obj) in doc.objects.iter() {
        let Ok(dict) = obj.as_dict() else {
            continue;
        };
        let Ok(Object::Array(range)) = dict.get(b"ByteRange") else {
            continue;
        };
        let Ok(Object::String(contents, _)) = dict.get(b"Contents") else {
            continue;
        };
        let numbers: Vec<usize> = range
            .iter()
            .filter_map(|o| o.as_i64().ok())
            .filter_map(|n| usize::try_from(n).ok())
            .collect();
        // A byte range that is not four offsets names nothing: the signature is listed, as
        // covering nothing (the checks below then fail).
        let (a, b, c, d) = match numbers.as_slice() {
            [a, b, c, d] => (*a, *b, *c, *d),
            _ => (0, 0, usize::MAX, 0),
        };
        let end = c.saturating_add(d);
        let in_file = a.saturating_add(b) <= c && end <= bytes.len();
        let sub_filter = name_of(dict.get(b"SubFilter").ok());
        let stated = text_of(dict.get(b"M").ok()).and_then(|m| pdf_date(&m));
        let checked = if in_file {
            self::cms::check(
                contents,
                &[&bytes[a..a + b], &bytes[c..end]],
                anchors,
                stated,
            )
        } else {
            self::cms::Checked {
                signer: None,
                valid: false,
                trusted: false,
                signing_time: None,
                problem: Some("the byte range lies outside the file".into()),
            }
        };
        if let Some(problem) = &checked.problem {
            tracing::info!(problem = %problem, "a signature does not verify");
        }
        // The hole must be exactly the /Contents string (its hex digits and brackets).
        let hole_is_contents = in_file
            && a == 0
            && c - (a + b) == contents.len() * 2 + 2
            && bytes.get(a + b) == Some(&b'<')
            && bytes.get(c - 1) == Some(&b'>');
        found.push((
            *id,
            end,
            SignatureInfo {
                field: fields.get(id).cloned(),
                signer: checked.signer,
                signed_at: checked.signing_time.or(stated),
                sub_filter,
                valid: checked.valid && hole_is_contents,
                trusted: checked.trusted,
                covers_whole_document: hole_is_contents && end == bytes.len(),
                modified_after: in_file && end < bytes.len(),
            },
        ));
    }
    // In the order they were made: the earlier a signature, the less of the file it covers.
    found.sort_by_key(|(id, end, _)| (*end, *id));
    found.into_iter().map(|(_, end, s)| (s, end)).collect()
}

/// Reads PEM certificates (trust anchors) from files.
pub fn load_anchors(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<Certificate>> {
    use der::DecodePem;
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)?;
        for block in text.split_inclusive("-----END CERTIFICATE-----") {
            if let Some(start) = block.find("-----BEGIN CERTIFICATE-----") {
                out.push(
                    Certificate::from_pem(&block[start..])
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
                );
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_read_with_their_offset() {
        let t = pdf_date("D:20261207103000+07'00'").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-07T03:30:00+00:00");
        assert_eq!(
            pdf_date("D:20261207103000Z").unwrap().to_rfc3339(),
            "2026-12-07T10:30:00+00:00"
        );
        assert!(pdf_date("D:2026").is_none());
    }

    #[test]
    fn a_file_without_signatures_has_none() {
        let pdf = crate::documents::book::text_pdf(&[crate::documents::book::Line::new(
            "Không ký",
            12.0,
            0,
        )])
        .unwrap();
        assert!(verify(&pdf, &[]).is_empty());
    }
}

#[cfg(test)]
mod roundtrip;
