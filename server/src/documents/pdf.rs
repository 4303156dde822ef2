//! What ecabinet reads out of a PDF with lopdf: whether it is acceptable (openable without a
//! password — a file encrypted with an empty user password is decrypted into a copy, the way
//! every reader opens it — a sound cross-reference table, a page tree without cycles, within the page and object
//! limits), and the recipient-independent half of a watermark: the page objects rewritten to
//! draw a stamp, ready to be appended as an incremental update.
//!
//! Must never: run on an upload inside the server process. lopdf has aborted on hostile input
//! in ways no `catch_unwind` stops, so `inspect` runs in the `pdf-check` child process
//! (`validate`), and the server only ever reads the plan it wrote.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream};
use serde::{Deserialize, Serialize};

/// Bounds on what a document may contain.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Limits {
    pub max_pages: usize,
    pub max_objects: usize,
    pub max_decompressed_bytes: usize,
}

/// Why a file was refused; `reason` is the stable code sent to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum Rejection {
    #[error(
        "the PDF is encrypted in a way that cannot be opened here; upload a copy without protection"
    )]
    Encrypted,
    #[error(
        "the PDF needs a password to open; ask its sender for a copy without a password, or open it with the password and save or print it as a new PDF"
    )]
    PasswordRequired,
    #[error("the PDF cannot be read: {0}")]
    Broken(String),
    #[error("the PDF's cross-reference table is damaged")]
    BrokenXref,
    #[error("the PDF's page tree refers to itself")]
    PageTreeCycle,
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the PDF has {0} pages, more than allowed")]
    TooManyPages(usize),
    #[error("the PDF has {0} objects, more than allowed")]
    TooManyObjects(usize),
    #[error("a stream of the PDF inflates beyond the limit (a decompression bomb)")]
    DecompressionBomb,
    #[error("the PDF could not be checked within the time and memory limits")]
    Hostile,
}

impl Rejection {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Encrypted => "encrypted",
            Self::PasswordRequired => "password_required",
            Self::Broken(_) => "broken",
            Self::BrokenXref => "broken_xref",
            Self::PageTreeCycle => "page_tree_cycle",
            Self::NoPages => "no_pages",
            Self::TooManyPages(_) => "too_many_pages",
            Self::TooManyObjects(_) => "too_many_objects",
            Self::DecompressionBomb => "decompression_bomb",
            Self::Hostile => "hostile",
        }
    }
}

/// What the check found in an acceptable file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Inspection {
    pub pages: usize,
    pub objects: usize,
    /// The file was encrypted with an empty user password; what was inspected (and is served)
    /// is the decrypted copy the checker wrote beside it.
    #[serde(default)]
    pub decrypted: bool,
}

/// The recipient-independent part of a stamped file: everything an incremental update needs
/// except the stamp's own form and font objects, whose ids are reserved from `first_free`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StampPlan {
    /// Length of the original file, where the update starts.
    pub file_len: u64,
    /// Offset of the original's last cross-reference section (the update's `/Prev`).
    pub prev_xref: u64,
    /// The first object id the update may use.
    pub first_free: u32,
    /// `/Root`, `/Info` and `/ID` of the original trailer, written as PDF.
    pub trailer_entries: Vec<u8>,
    /// Whether the original file lacks a final end-of-line.
    pub needs_newline: bool,
    /// Objects of the update, as (id, generation, body written as PDF).
    pub objects: Vec<PlannedObject>,
    /// Every page in order, for updates that add annotations to pages. Empty in plans written
    /// before annotations existed; those files are planned again on their first export.
    #[serde(default)]
    pub pages: Vec<PlannedPage>,
}

impl StampPlan {
    /// The first object id free after the stamp's own objects, for other additions.
    pub fn next_free(&self) -> u32 {
        let after_plan = self.objects.iter().map(|o| o.id + 1).max().unwrap_or(0);
        after_plan.max(self.first_free + reserved::COUNT)
    }
}

/// A page as an update that annotates it needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedPage {
    pub id: u32,
    pub generation: u16,
    /// The visible box (crop box, else media box) as `[x0, y0, x1, y1]`.
    pub bbox: [f64; 4],
    /// `/Rotate`, in degrees clockwise.
    pub rotate: i64,
    /// The page's dictionary entries as the file has them, without `/Annots`.
    #[serde(with = "base64_bytes")]
    pub original: Vec<u8>,
    /// The same entries as the stamp rewrites them, without `/Annots`.
    #[serde(with = "base64_bytes")]
    pub stamped: Vec<u8>,
    /// The items of the page's own `/Annots` array, written as PDF (e.g. `12 0 R 13 0 R`).
    #[serde(with = "base64_bytes")]
    pub annots: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedObject {
    pub id: u32,
    pub generation: u16,
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
}

/// Object ids of the recipient's stamp, relative to `StampPlan::first_free`.
pub mod reserved {
    pub const FORM: u32 = 0;
    pub const FONT: u32 = 1;
    pub const CID_FONT: u32 = 2;
    pub const DESCRIPTOR: u32 = 3;
    pub const FONT_FILE: u32 = 4;
    pub const TO_UNICODE: u32 = 5;
    pub const COUNT: u32 = 6;
}

/// The resource name the stamp is drawn under on every page.
pub const STAMP_NAME: &str = "ECabinetStamp";

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// For a file encrypted with an empty user password (an owner password restricting edits
/// only: every reader opens it without asking), the same document decrypted; `None` for a
/// file that is not encrypted. A file that needs a password is refused.
pub fn decrypted_copy(bytes: &[u8], limits: &Limits) -> Result<Option<Vec<u8>>, Rejection> {
    if !has_encrypt_entry(bytes) {
        return Ok(None);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_bytes),
        ..LoadOptions::default()
    };
    let mut doc = match Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(Rejection::DecompressionBomb);
        }
        Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword) => {
            return Err(Rejection::PasswordRequired);
        }
        Err(other) => return Err(Rejection::Broken(other.to_string())),
    };
    // lopdf decrypts with the empty password when it opens the file (and then drops
    // `/Encrypt` from the trailer); a file it could not open so keeps it.
    let Some(state) = doc.encryption_state.take() else {
        return if doc.trailer.has(b"Encrypt") {
            Err(Rejection::PasswordRequired)
        } else {
            Ok(None)
        };
    };
    if let Some(id) = state.encrypt_object_id() {
        doc.objects.remove(&id);
    }
    doc.trailer.remove(b"Encrypt");
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|_| Rejection::Encrypted)?;
    Ok(Some(out))
}

/// Parses and checks a file, and plans its stamp.
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<(Inspection, StampPlan), Rejection> {
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_bytes),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => Rejection::PasswordRequired,
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            Rejection::DecompressionBomb
        }
        // A file that names an encryption dictionary and cannot be opened without a password.
        _ if has_encrypt_entry(bytes) => Rejection::PasswordRequired,
        other => Rejection::Broken(other.to_string()),
    })?;
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() || doc.is_encrypted() {
        // Decrypted copies are made by `decrypted_copy` first; one still encrypted needs a
        // password.
        return Err(Rejection::PasswordRequired);
    }
    if doc.xref_recovery.is_some() {
        return Err(Rejection::BrokenXref);
    }
    if doc.objects.len() > limits.max_objects {
        return Err(Rejection::TooManyObjects(doc.objects.len()));
    }
    let pages = collect_pages(&doc, limits.max_pages)?;
    if pages.is_empty() {
        return Err(Rejection::NoPages);
    }
    check_streams(&doc, limits.max_decompressed_bytes)?;
    let plan = plan_stamp(&doc, bytes, &pages)?;
    Ok((
        Inspection {
            pages: pages.len(),
            objects: doc.objects.len(),
            decrypted: false,
        },
        plan,
    ))
}

/// Whether the trailer region names an `/Encrypt` dictionary.
fn has_encrypt_entry(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(8).any(|w| w == b"/Encrypt")
}

/// Inflates every compressed stream within the limit, so that no reader of the file (a tablet
/// rendering a page) meets a decompression bomb. Streams in filters lopdf cannot decode
/// (images) are left to their readers.
fn check_streams(doc: &Document, limit: usize) -> Result<(), Rejection> {
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else {
            continue;
        };
        let compressed = stream.filters().is_ok_and(|filters| {
            filters
                .iter()
                .any(|f| *f == b"FlateDecode" || *f == b"LZWDecode")
        });
        if !compressed {
            continue;
        }
        if let Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
            ..
        })) = stream.decompressed_content_with_limit(limit)
        {
            return Err(Rejection::DecompressionBomb);
        }
    }
    Ok(())
}

/// A page with the attributes it inherits from the page tree made explicit.
#[derive(Debug)]
pub(crate) struct PageInfo {
    pub(crate) id: ObjectId,
    pub(crate) resources: Option<Object>,
    pub(crate) media_box: Option<Object>,
    pub(crate) crop_box: Option<Object>,
    pub(crate) rotate: Option<Object>,
}

#[derive(Default, Clone)]
struct Inherited {
    resources: Option<Object>,
    media_box: Option<Object>,
    crop_box: Option<Object>,
    rotate: Option<Object>,
}

const MAX_TREE_DEPTH: usize = 64;

/// Walks the page tree in order, refusing cycles, nodes shared by two parents and trees
/// deeper or larger than allowed.
pub(crate) fn collect_pages(doc: &Document, max_pages: usize) -> Result<Vec<PageInfo>, Rejection> {
    let root = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|_| Rejection::Broken("no page tree".into()))?;
    let mut pages = Vec::new();
    let mut seen = HashSet::new();
    walk(
        doc,
        root,
        Inherited::default(),
        0,
        &mut seen,
        &mut pages,
        max_pages,
    )?;
    Ok(pages)
}

fn walk(
    doc: &Document,
    node_id: ObjectId,
    inherited: Inherited,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    pages: &mut Vec<PageInfo>,
    max_pages: usize,
) -> Result<(), Rejection> {
    if depth > MAX_TREE_DEPTH {
        return Err(Rejection::Broken("page tree too deep".into()));
    }
    if !seen.insert(node_id) {
        return Err(Rejection::PageTreeCycle);
    }
    let node = doc
        .get_dictionary(node_id)
        .map_err(|_| Rejection::Broken(format!("page tree node {node_id:?} is missing")))?;
    let mut here = inherited;
    let own = |key: &[u8]| node.get(key).ok().cloned();
    here.resources = own(b"Resources").or(here.resources);
    here.media_box = own(b"MediaBox").or(here.media_box);
    here.crop_box = own(b"CropBox").or(here.crop_box);
    here.rotate = own(b"Rotate").or(here.rotate);
    match node.get_type().ok() {
        Some(b"Pages") => {
            let kids = node
                .get_deref(b"Kids", doc)
                .and_then(Object::as_array)
                .map_err(|_| Rejection::Broken("page tree node without kids".into()))?;
            for kid in kids {
                let kid = kid
                    .as_reference()
                    .map_err(|_| Rejection::Broken("page tree kid is not a reference".into()))?;
                walk(doc, kid, here.clone(), depth + 1, seen, pages, max_pages)?;
            }
            Ok(())
        }
        _ => {
            if pages.len() >= max_pages {
                return Err(Rejection::TooManyPages(count_pages_bounded(doc)));
            }
            pages.push(PageInfo {
                id: node_id,
                resources: here.resources,
                media_box: here.media_box,
                crop_box: here.crop_box,
                rotate: here.rotate,
            });
            Ok(())
        }
    }
}

/// The page count for the error message; lopdf's iterator is bounded by the object count.
fn count_pages_bounded(doc: &Document) -> usize {
    doc.page_iter().count()
}

fn resolve<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Object> {
    match object {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn number(object: &Object) -> Option<f64> {
    match object {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// The visible box of a page: its crop box, else its media box, else US Letter.
fn page_box(doc: &Document, page: &PageInfo) -> [f64; 4] {
    let read = |object: &Option<Object>| -> Option<[f64; 4]> {
        let array = resolve(doc, object.as_ref()?)?.as_array().ok()?;
        if array.len() != 4 {
            return None;
        }
        let mut out = [0.0; 4];
        for (slot, value) in out.iter_mut().zip(array) {
            *slot = number(resolve(doc, value)?)?;
        }
        Some([
            out[0].min(out[2]),
            out[1].min(out[3]),
            out[0].max(out[2]),
            out[1].max(out[3]),
        ])
    };
    read(&page.crop_box)
        .or_else(|| read(&page.media_box))
        .unwrap_or([0.0, 0.0, 612.0, 792.0])
}

/// The transformation that draws the stamp form (text of width 1, centred on the origin)
/// along the diagonal of the page box, reading upwards however the page is rotated.
pub fn stamp_matrix(bbox: [f64; 4], rotate: i64) -> [f64; 6] {
    let (w, h) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
    let (cx, cy) = (bbox[0] + w / 2.0, bbox[1] + h / 2.0);
    let diagonal = (w * w + h * h).sqrt();
    let scale = 0.6 * diagonal;
    // Rotating the page by 90° or 270° swaps which diagonal reads bottom-left to top-right.
    let base = h.atan2(w);
    let angle = match rotate.rem_euclid(360) {
        90 => base + std::f64::consts::FRAC_PI_2 - 2.0 * base,
        180 => base + std::f64::consts::PI,
        270 => -base + std::f64::consts::PI * 1.5,
        _ => base,
    };
    let (sin, cos) = angle.sin_cos();
    [scale * cos, scale * sin, -scale * sin, scale * cos, cx, cy]
}

fn write(object: &Object) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::new();
    lopdf::Writer::write_object(&mut out, object)
        .map_err(|e| Rejection::Broken(format!("cannot write object: {e}")))?;
    Ok(out)
}

fn fmt_num(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

fn plan_stamp(doc: &Document, bytes: &[u8], pages: &[PageInfo]) -> Result<StampPlan, Rejection> {
    let first_free = doc
        .max_id
        .checked_add(1)
        .ok_or_else(|| Rejection::Broken("object ids exhausted".into()))?;
    let form_id: ObjectId = (first_free + reserved::FORM, 0);
    let mut next_id = first_free + reserved::COUNT;
    let mut objects = Vec::new();

    // Saves the graphics state before the page's own content, so whatever that content leaves
    // behind (a transformation, a clip) is undone before the stamp is drawn.
    let save_id = next_id;
    next_id += 1;
    objects.push(PlannedObject {
        id: save_id,
        generation: 0,
        body: write(&Object::Stream(Stream::new(
            Dictionary::new(),
            b"q\n".to_vec(),
        )))?,
    });

    let mut stamp_streams: Vec<(String, u32)> = Vec::new();
    let mut planned_pages = Vec::with_capacity(pages.len());
    for page in pages {
        let bbox = page_box(doc, page);
        let rotate = page
            .rotate
            .as_ref()
            .and_then(|r| resolve(doc, r))
            .and_then(|r| r.as_i64().ok())
            .unwrap_or(0);
        let m = stamp_matrix(bbox, rotate);
        let content = format!(
            "Q q {} {} {} {} {} {} cm /{STAMP_NAME} Do Q\n",
            fmt_num(m[0]),
            fmt_num(m[1]),
            fmt_num(m[2]),
            fmt_num(m[3]),
            fmt_num(m[4]),
            fmt_num(m[5])
        );
        // Pages of one size share one drawing stream.
        let stream_id = match stamp_streams.iter().find(|(c, _)| *c == content) {
            Some((_, id)) => *id,
            None => {
                let id = next_id;
                next_id += 1;
                objects.push(PlannedObject {
                    id,
                    generation: 0,
                    body: write(&Object::Stream(Stream::new(
                        Dictionary::new(),
                        content.clone().into_bytes(),
                    )))?,
                });
                stamp_streams.push((content, id));
                id
            }
        };

        let mut dict = doc
            .get_dictionary(page.id)
            .cloned()
            .map_err(|_| Rejection::Broken("a page is not a dictionary".into()))?;
        let original = entries_without_annots(&dict)?;
        let annots = match dict.get(b"Annots").ok().and_then(|x| resolve(doc, x)) {
            Some(Object::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(write(item)?);
                    out.push(b' ');
                }
                out
            }
            _ => Vec::new(),
        };
        let mut contents = vec![Object::Reference((save_id, 0))];
        match dict.get(b"Contents").ok().and_then(|c| resolve(doc, c)) {
            Some(Object::Array(items)) => contents.extend(items.iter().cloned()),
            Some(Object::Stream(_)) => {
                if let Ok(reference) = dict.get(b"Contents").cloned() {
                    contents.push(reference);
                }
            }
            _ => {}
        }
        contents.push(Object::Reference((stream_id, 0)));
        dict.set("Contents", Object::Array(contents));

        let mut resources = page
            .resources
            .as_ref()
            .and_then(|r| resolve(doc, r))
            .and_then(|r| r.as_dict().ok())
            .cloned()
            .unwrap_or_default();
        let mut xobjects = resources
            .get(b"XObject")
            .ok()
            .and_then(|x| resolve(doc, x))
            .and_then(|x| x.as_dict().ok())
            .cloned()
            .unwrap_or_default();
        xobjects.set(STAMP_NAME, Object::Reference(form_id));
        resources.set("XObject", Object::Dictionary(xobjects));
        dict.set("Resources", Object::Dictionary(resources));
        planned_pages.push(PlannedPage {
            id: page.id.0,
            generation: page.id.1,
            bbox,
            rotate,
            original,
            stamped: entries_without_annots(&dict)?,
            annots,
        });
        // Inherited boxes and rotation stay inherited: the page keeps its own parent.
        objects.push(PlannedObject {
            id: page.id.0,
            generation: page.id.1,
            body: write(&Object::Dictionary(dict))?,
        });
    }

    let mut trailer = Dictionary::new();
    for key in [&b"Root"[..], b"Info", b"ID"] {
        if let Ok(value) = doc.trailer.get(key) {
            trailer.set(key.to_vec(), value.clone());
        }
    }
    let mut trailer_entries = write(&Object::Dictionary(trailer))?;
    // Keep only the entries: the update writes its own dictionary around them.
    if trailer_entries.starts_with(b"<<") && trailer_entries.ends_with(b">>") {
        trailer_entries = trailer_entries[2..trailer_entries.len() - 2].to_vec();
    }
    Ok(StampPlan {
        file_len: bytes.len() as u64,
        prev_xref: doc.xref_start as u64,
        first_free,
        trailer_entries,
        needs_newline: !bytes.ends_with(b"\n"),
        objects,
        pages: planned_pages,
    })
}

/// A dictionary's entries written as PDF, `/Annots` left out, without the `<<` `>>` around
/// them (the update writes its own, with an `/Annots` of its own).
fn entries_without_annots(dict: &Dictionary) -> Result<Vec<u8>, Rejection> {
    let mut dict = dict.clone();
    dict.remove(b"Annots");
    let mut out = write(&Object::Dictionary(dict))?;
    if out.starts_with(b"<<") && out.ends_with(b">>") {
        out = out[2..out.len() - 2].to_vec();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_runs_along_the_diagonal_of_an_upright_page() {
        let m = stamp_matrix([0.0, 0.0, 300.0, 400.0], 0);
        // Centre of the page.
        assert!((m[4] - 150.0).abs() < 1e-9 && (m[5] - 200.0).abs() < 1e-9);
        // Direction of the text is the page diagonal (3:4), length 0.6 × 500.
        assert!((m[0] - 0.6 * 300.0).abs() < 1e-6);
        assert!((m[1] - 0.6 * 400.0).abs() < 1e-6);
    }

    #[test]
    fn numbers_are_written_short() {
        assert_eq!(fmt_num(1.0), "1");
        assert_eq!(fmt_num(-0.00001), "0");
        assert_eq!(fmt_num(12.345678), "12.3457");
    }
}
