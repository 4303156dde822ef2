//! A signature added to a PDF as an incremental update (ISO 32000-1, 7.5.6): the earlier bytes
//! stay exactly as they were, so earlier signatures stay valid; after them come the signature
//! dictionary, its field and widget, the page and the form that now list them, and a new
//! cross-reference section (a table or a stream, as the file had), written by lopdf's
//! incremental writer.
//!
//! The dictionary's `/ByteRange` and `/Contents` are written as placeholders of a fixed
//! width, found again in the written bytes and patched in place: first the byte range (the
//! whole file but the `/Contents` string), which the digest then covers, then the CMS.

use chrono::{DateTime, FixedOffset};
use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use crate::documents::font::{FontIds, FontSubset, hex_string};

/// Wide enough for any offset of a file we hold, so patching never moves a byte.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// Why a file cannot take a signature.
#[derive(Debug, thiserror::Error)]
pub enum Unsignable {
    #[error("the file cannot be read as a PDF: {0}")]
    Unreadable(String),
    #[error("the file is encrypted")]
    Encrypted,
    #[error("the document has no page {0}")]
    NoSuchPage(u32),
    #[error("the signature's placeholders were not found in the written file")]
    Placeholders,
    #[error("the signature is longer than the room kept for it")]
    TooLong,
    #[error("{0}")]
    Other(String),
}

/// Where the signature shows: a rectangle on a page (PDF user space, points).
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// 1-based.
    pub page: u32,
    pub rect: [f32; 4],
}

/// What the new signature field says of itself.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The field's name (`/T`); a number is added when the file has one of that name.
    pub name: String,
    /// `None`: an invisible signature (a widget of no size on the first page).
    pub placement: Option<Placement>,
    /// Lines of the visible box, e.g. who signed and when.
    pub lines: Vec<String>,
    /// The signer's picture (their signature, the seal); with it, the box shows the picture
    /// and only the last line (the time) under it.
    pub image: Option<super::images::Picture>,
    /// Colour of the box's frame and text (RGB, 0–1).
    pub color: [f32; 3],
    pub signer_name: Option<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The signing time, written as `/M`.
    pub signed_at: DateTime<FixedOffset>,
}

/// A file with a signature waiting for its CMS: `bytes[hole.0..hole.1]` is the `/Contents`
/// string, brackets included.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub hole: (usize, usize),
    /// The field's name as written.
    pub field: String,
}

impl Prepared {
    /// SHA-256 of what the signature covers: everything but the hole.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&self.bytes[..self.hole.0]);
        h.update(&self.bytes[self.hole.1..]);
        h.finalize().into()
    }

    /// Writes the CMS into the hole (hex, zero-padded).
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, Unsignable> {
        let room = self.hole.1 - self.hole.0 - 2;
        let hex = hex::encode_upper(cms);
        if hex.len() > room {
            return Err(Unsignable::TooLong);
        }
        let start = self.hole.0 + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// A text string as PDF writes it: PDFDocEncoding when ASCII, else UTF-16BE with a BOM.
pub fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// A PDF date: "D:20261207103000+07'00'".
pub fn pdf_date(t: &DateTime<FixedOffset>) -> String {
    let offset = t.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!(
        "D:{}{sign}{:02}'{:02}'",
        t.format("%Y%m%d%H%M%S"),
        offset / 3600,
        (offset % 3600) / 60
    )
}

fn err(e: lopdf::Error) -> Unsignable {
    Unsignable::Other(e.to_string())
}

/// Resolves `obj` when it is a reference.
fn resolved<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    match obj {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(obj),
        _ => obj,
    }
}

/// The names of the form's top-level fields.
fn field_names(doc: &Document, fields: &Object) -> Vec<Vec<u8>> {
    let Ok(list) = resolved(doc, fields).as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|f| resolved(doc, f).as_dict().ok())
        .filter_map(|d| match d.get(b"T") {
            Ok(Object::String(t, _)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Appends `item` to the array `holder[key]`, which may be inline, a reference to an array
/// object (then that object is copied into the update and changed there), or missing.
fn push_to_array(inc: &mut IncrementalDocument, holder: &mut Dictionary, key: &[u8], item: Object) {
    match holder.get(key).cloned() {
        Ok(Object::Reference(id)) => {
            let mut list = inc
                .get_prev_documents()
                .get_object(id)
                .ok()
                .and_then(|o| o.as_array().ok().cloned())
                .unwrap_or_default();
            list.push(item);
            inc.new_document.set_object(id, Object::Array(list));
        }
        Ok(Object::Array(mut list)) => {
            list.push(item);
            holder.set(key, Object::Array(list));
        }
        _ => holder.set(key, Object::Array(vec![item])),
    }
}

/// The visible box: a frame and the lines, as large as fits, in DejaVu Sans.
fn appearance(
    inc: &mut IncrementalDocument,
    spec: &FieldSpec,
    width: f32,
    height: f32,
) -> Result<Stream, Unsignable> {
    let mut resources = Dictionary::new();
    let mut content = String::new();
    let [r, g, b] = spec.color;
    if width > 4.0 && height > 4.0 {
        content.push_str(&format!(
            "q {r} {g} {b} RG 0.8 w 0.4 0.4 {} {} re S Q\n",
            width - 0.8,
            height - 0.8
        ));
    }
    let mut lines: Vec<&str> = spec.lines.iter().map(String::as_str).collect();
    // The text's band: the whole box, or its bottom quarter under a picture.
    let mut text_height = height;
    if let Some(picture) = &spec.image
        && width > 8.0
        && height > 8.0
    {
        lines = lines.last().copied().into_iter().collect();
        text_height = if lines.is_empty() { 0.0 } else { height * 0.25 };
        let image_id = image_objects(inc, picture);
        let (room_w, room_h) = (width - 4.0, height - text_height - 3.0);
        let scale = (room_w / picture.width as f32).min(room_h / picture.height as f32);
        let (w, h) = (picture.width as f32 * scale, picture.height as f32 * scale);
        let (x, y) = ((width - w) / 2.0, text_height + 1.0 + (room_h - h) / 2.0);
        content.push_str(&format!("q {w:.2} 0 0 {h:.2} {x:.2} {y:.2} cm /Im1 Do Q\n"));
        let mut xobjects = Dictionary::new();
        xobjects.set("Im1", Object::Reference(image_id));
        resources.set("XObject", Object::Dictionary(xobjects));
    }
    if !lines.is_empty() && width > 8.0 && text_height > 6.0 {
        let subset = FontSubset::for_texts(lines.iter().copied())
            .map_err(|e| Unsignable::Other(e.to_string()))?;
        let shaped = lines
            .iter()
            .map(|l| subset.shape(l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Unsignable::Other(e.to_string()))?;
        let widest = shaped
            .iter()
            .map(|s| s.width)
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let count = lines.len() as f32;
        let by_width = ((width - 6.0) as f64 / widest) as f32;
        let by_height = (text_height - 4.0) / (count * 1.25);
        let size = by_width.min(by_height).clamp(3.0, 10.0);
        let block = size * 1.25 * count;
        let mut y = (text_height + block) / 2.0 - size;
        content.push_str(&format!("BT {r} {g} {b} rg /F1 {size:.2} Tf\n"));
        for s in &shaped {
            let x = 3.0;
            content.push_str(&format!(
                "1 0 0 1 {x:.2} {y:.2} Tm {} Tj\n",
                hex_string(&s.codes)
            ));
            y -= size * 1.25;
        }
        content.push_str("ET\n");
        let ids = FontIds::new_in(&mut inc.new_document);
        for (id, obj) in subset
            .objects(ids)
            .map_err(|e| Unsignable::Other(e.to_string()))?
        {
            inc.new_document.set_object(id, obj);
        }
        let mut fonts = Dictionary::new();
        fonts.set("F1", Object::Reference(ids.type0));
        resources.set("Font", Object::Dictionary(fonts));
    }
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set(
        "BBox",
        Object::Array(vec![0.into(), 0.into(), width.into(), height.into()]),
    );
    dict.set("Resources", Object::Dictionary(resources));
    Ok(Stream::new(dict, content.into_bytes()))
}

/// The picture as an image XObject (RGB, Flate) with its alpha as a soft mask.
fn image_objects(inc: &mut IncrementalDocument, picture: &super::images::Picture) -> ObjectId {
    let image_dict = |space: &str| {
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"XObject".to_vec()));
        d.set("Subtype", Object::Name(b"Image".to_vec()));
        d.set("Width", Object::Integer(i64::from(picture.width)));
        d.set("Height", Object::Integer(i64::from(picture.height)));
        d.set("ColorSpace", Object::Name(space.as_bytes().to_vec()));
        d.set("BitsPerComponent", Object::Integer(8));
        d
    };
    let mut dict = image_dict("DeviceRGB");
    if let Some(alpha) = &picture.alpha {
        let mut mask = Stream::new(image_dict("DeviceGray"), alpha.clone());
        let _ = mask.compress();
        let mask_id = inc.new_document.add_object(Object::Stream(mask));
        dict.set("SMask", Object::Reference(mask_id));
    }
    let mut image = Stream::new(dict, picture.rgb.clone());
    let _ = image.compress();
    inc.new_document.add_object(Object::Stream(image))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Appends an empty signature to `prev` (a whole PDF) with `contents_len` bytes of room.
pub fn prepare(prev: &[u8], spec: &FieldSpec, contents_len: usize) -> Result<Prepared, Unsignable> {
    let doc = Document::load_mem(prev).map_err(|e| Unsignable::Unreadable(e.to_string()))?;
    if doc.is_encrypted() {
        return Err(Unsignable::Encrypted);
    }
    let pages = doc.get_pages();
    let page_no = spec.placement.as_ref().map_or(1, |p| p.page);
    let page_id: ObjectId = *pages.get(&page_no).ok_or(Unsignable::NoSuchPage(page_no))?;
    let catalog_id = match doc.trailer.get(b"Root") {
        Ok(Object::Reference(id)) => *id,
        _ => return Err(Unsignable::Unreadable("no catalog".into())),
    };
    let catalog = doc.get_dictionary(catalog_id).map_err(err)?.clone();
    let acroform = catalog.get(b"AcroForm").ok().cloned();
    let existing = acroform
        .as_ref()
        .and_then(|a| resolved(&doc, a).as_dict().ok())
        .and_then(|a| a.get(b"Fields").ok())
        .map(|f| field_names(&doc, f))
        .unwrap_or_default();
    let mut name = spec.name.clone();
    let mut n = 2;
    while existing.iter().any(|e| e == name.as_bytes()) {
        name = format!("{}{n}", spec.name);
        n += 1;
    }
    let page = doc.get_dictionary(page_id).map_err(err)?.clone();

    let mut inc = IncrementalDocument::create_from(prev.to_vec(), doc);
    inc.new_document.trailer.remove(b"XRefStm");

    let sig_id = inc.new_document.new_object_id();
    let widget_id = inc.new_document.new_object_id();
    let ap_id = inc.new_document.new_object_id();

    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    sig.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
            Object::Integer(RANGE_PLACEHOLDER),
        ]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0; contents_len], StringFormat::Hexadecimal),
    );
    sig.set(
        "M",
        Object::String(
            pdf_date(&spec.signed_at).into_bytes(),
            StringFormat::Literal,
        ),
    );
    if let Some(v) = &spec.signer_name {
        sig.set("Name", text_string(v));
    }
    if let Some(v) = &spec.reason {
        sig.set("Reason", text_string(v));
    }
    if let Some(v) = &spec.location {
        sig.set("Location", text_string(v));
    }
    inc.new_document.set_object(sig_id, Object::Dictionary(sig));

    let rect = spec.placement.as_ref().map_or([0.0; 4], |p| p.rect);
    let (w, h) = ((rect[2] - rect[0]).abs(), (rect[3] - rect[1]).abs());
    let stream = appearance(&mut inc, spec, w, h)?;
    inc.new_document.set_object(ap_id, Object::Stream(stream));

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("T", text_string(&name));
    widget.set("V", Object::Reference(sig_id));
    // Print, and locked: the box is part of the signed page.
    widget.set("F", Object::Integer(132));
    widget.set(
        "Rect",
        Object::Array(rect.iter().map(|v| Object::Real(*v)).collect()),
    );
    widget.set("P", Object::Reference(page_id));
    let mut ap = Dictionary::new();
    ap.set("N", Object::Reference(ap_id));
    widget.set("AP", Object::Dictionary(ap));
    inc.new_document
        .set_object(widget_id, Object::Dictionary(widget));

    let mut page = page;
    push_to_array(&mut inc, &mut page, b"Annots", Object::Reference(widget_id));
    inc.new_document
        .set_object(page_id, Object::Dictionary(page));

    let mut catalog = catalog;
    match acroform {
        Some(Object::Reference(form_id)) => {
            let mut form = inc
                .get_prev_documents()
                .get_dictionary(form_id)
                .map_err(err)?
                .clone();
            push_to_array(&mut inc, &mut form, b"Fields", Object::Reference(widget_id));
            form.set("SigFlags", Object::Integer(3));
            inc.new_document
                .set_object(form_id, Object::Dictionary(form));
        }
        other => {
            let mut form = other
                .and_then(|o| o.as_dict().ok().cloned())
                .unwrap_or_default();
            push_to_array(&mut inc, &mut form, b"Fields", Object::Reference(widget_id));
            form.set("SigFlags", Object::Integer(3));
            catalog.set("AcroForm", Object::Dictionary(form));
            inc.new_document
                .set_object(catalog_id, Object::Dictionary(catalog));
        }
    }

    let mut bytes = Vec::with_capacity(prev.len() + contents_len * 2 + 32_768);
    inc.save_to(&mut bytes)
        .map_err(|e| Unsignable::Other(e.to_string()))?;

    // Find the placeholders in what was appended.
    let appended = prev.len();
    let range_digits = b"9999999999 9999999999 9999999999";
    let at = find(&bytes[appended..], range_digits).ok_or(Unsignable::Placeholders)? + appended;
    let open = bytes[..at]
        .iter()
        .rposition(|b| *b == b'[')
        .ok_or(Unsignable::Placeholders)?;
    let close = at + find(&bytes[at..], b"]").ok_or(Unsignable::Placeholders)?;
    let mut zeros = Vec::with_capacity(contents_len * 2 + 1);
    zeros.push(b'<');
    zeros.resize(contents_len * 2 + 1, b'0');
    zeros.push(b'>');
    let hole_start = find(&bytes[appended..], &zeros).ok_or(Unsignable::Placeholders)? + appended;
    let hole_end = hole_start + zeros.len();
    let range = format!("[0 {hole_start} {hole_end} {}", bytes.len() - hole_end);
    let width = close - open;
    if range.len() > width {
        return Err(Unsignable::Placeholders);
    }
    let padded = format!("{range:<width$}");
    bytes[open..close].copy_from_slice(padded.as_bytes());
    Ok(Prepared {
        bytes,
        hole: (hole_start, hole_end),
        field: name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(placement: Option<Placement>) -> FieldSpec {
        FieldSpec {
            name: "ChuToa".into(),
            placement,
            lines: vec![
                "Ký số bởi: Nguyễn Văn An".into(),
                "2026-12-07T10:30:00+07:00".into(),
            ],
            image: None,
            color: [0.1, 0.2, 0.6],
            signer_name: Some("Nguyễn Văn An".into()),
            reason: Some("Chủ tọa ký biên bản".into()),
            location: None,
            signed_at: DateTime::parse_from_rfc3339("2026-12-07T10:30:00+07:00").unwrap(),
        }
    }

    fn sample() -> Vec<u8> {
        crate::documents::book::text_pdf(&[crate::documents::book::Line::new("Biên bản", 12.0, 0)])
            .unwrap()
    }

    #[test]
    fn earlier_bytes_stay_and_the_hole_is_the_contents() {
        let prev = sample();
        let p = prepare(
            &prev,
            &spec(Some(Placement {
                page: 1,
                rect: [300.0, 100.0, 500.0, 160.0],
            })),
            4000,
        )
        .unwrap();
        assert_eq!(&p.bytes[..prev.len()], prev.as_slice());
        assert_eq!(p.bytes[p.hole.0], b'<');
        assert_eq!(p.bytes[p.hole.1 - 1], b'>');
        assert_eq!(p.hole.1 - p.hole.0, 8002);
        let text = String::from_utf8_lossy(&p.bytes[prev.len()..]);
        let expected = format!("[0 {} {} {}", p.hole.0, p.hole.1, p.bytes.len() - p.hole.1);
        assert!(text.contains(&expected), "{expected}");
        assert!(text.contains("/SigFlags 3"));
        // Still a PDF lopdf reads, with the field on page 1.
        let doc = Document::load_mem(&p.bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        let page = doc.get_dictionary(doc.get_pages()[&1]).unwrap();
        assert!(page.get(b"Annots").is_ok());
        // The box's appearance shows its lines as text (strings for Tj, each line once).
        let widget = doc
            .objects
            .values()
            .filter_map(|o| o.as_dict().ok())
            .find(|d| d.get(b"FT").ok() == Some(&Object::Name(b"Sig".to_vec())))
            .unwrap();
        let ap = widget.get(b"AP").unwrap().as_dict().unwrap();
        let stream = doc
            .get_object(ap.get(b"N").unwrap().as_reference().unwrap())
            .unwrap()
            .as_stream()
            .unwrap();
        let ops = lopdf::content::Content::decode(&stream.content)
            .unwrap()
            .operations;
        let shown: Vec<_> = ops.iter().filter(|op| op.operator == "Tj").collect();
        assert_eq!(shown.len(), 2);
        assert!(
            shown
                .iter()
                .all(|op| matches!(op.operands.as_slice(), [Object::String(..)])),
            "{shown:?}"
        );
    }

    #[test]
    fn a_picture_is_drawn_with_its_transparency() {
        let picture =
            super::super::images::decode(&super::super::images::tests::png(40, 20)).unwrap();
        let mut with_image = spec(Some(Placement {
            page: 1,
            rect: [300.0, 100.0, 480.0, 190.0],
        }));
        with_image.image = Some(picture);
        let prev = sample();
        let p = prepare(&prev, &with_image, 100).unwrap();
        let text = String::from_utf8_lossy(&p.bytes[prev.len()..]);
        assert!(text.contains("/Im1 Do"), "drawn");
        assert!(text.contains("/SMask"), "with its alpha");
        assert!(text.contains("/Subtype/Image") || text.contains("/Subtype /Image"));
    }

    #[test]
    fn a_second_field_gets_a_name_of_its_own() {
        let once = prepare(&sample(), &spec(None), 100).unwrap();
        let bytes = once.embed(&[1, 2, 3]).unwrap();
        let twice = prepare(&bytes, &spec(None), 100).unwrap();
        assert_eq!(twice.field, "ChuToa2");
    }

    #[test]
    fn a_cms_longer_than_its_room_is_refused() {
        let p = prepare(&sample(), &spec(None), 2).unwrap();
        assert!(matches!(p.embed(&[1, 2, 3]), Err(Unsignable::TooLong)));
    }

    #[test]
    fn dates_carry_their_offset() {
        let t = DateTime::parse_from_rfc3339("2026-12-07T10:30:00+07:00").unwrap();
        assert_eq!(pdf_date(&t), "D:20261207103000+07'00'");
    }
}
