//! Recipient watermarks: the meeting's template filled in for one reader, drawn diagonally and
//! semi-transparent on every page, written as an incremental update. The original file is
//! served unchanged and only a small tail follows it: the rewritten page objects (from the
//! `StampPlan` made when the file was checked), the stamp's form and font, a cross-reference
//! section and a trailer pointing back at the original's.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use lopdf::dictionary;
use lopdf::{Object, Stream};
use unicode_normalization::UnicodeNormalization;

use super::font::{FontIds, FontSubset, hex_string};
use super::pdf::{StampPlan, reserved};
use crate::error::ApiError;

/// Fills a template: `{display_name}`, `{username}`, `{date}` (YYYY-MM-DD, UTC) and
/// `{meeting}`; anything else is kept as written.
pub fn render_template(
    template: &str,
    display_name: &str,
    username: &str,
    meeting_title: &str,
    now: DateTime<Utc>,
) -> String {
    template
        .replace("{display_name}", display_name)
        .replace("{username}", username)
        .replace("{meeting}", meeting_title)
        .replace("{date}", &now.format("%d/%m/%Y").to_string())
        .nfc()
        .collect()
}

/// Annotations to add to pages in an update: the new objects, and per page (index from 0)
/// the ids of the annotation objects to append to its `/Annots`.
#[derive(Debug, Clone, Default)]
pub struct PageAdditions {
    pub annots: std::collections::BTreeMap<usize, Vec<u32>>,
    pub objects: Vec<(u32, Vec<u8>)>,
}

impl PageAdditions {
    pub fn is_empty(&self) -> bool {
        self.annots.is_empty() && self.objects.is_empty()
    }
}

/// The bytes appended to the original file to stamp `text` on each of its pages.
pub fn tail(plan: &StampPlan, text: &str) -> Result<Vec<u8>, ApiError> {
    tail_with(plan, Some(text), &PageAdditions::default())
}

/// The stamp's own objects: its form and its font, for `text`.
fn stamp_objects(plan: &StampPlan, text: &str) -> Result<Vec<(u32, u16, Vec<u8>)>, ApiError> {
    let first = plan.first_free;
    let id = |offset: u32| (first + offset, 0u16);
    let font = FontSubset::for_texts([text])?;
    let shaped = font.shape(text)?;
    let width = shaped.width.max(0.01);

    // The form draws the text at size 1, centred on the origin; its matrix scales it to width
    // 1 so that every page's drawing stream, planned without knowing the text, fits it.
    let content = format!(
        "/GS gs 0.75 0.1 0.1 rg BT /F 1 Tf {} -0.35 Td {} Tj ET\n",
        -width / 2.0,
        hex_string(&shaped.codes)
    );
    let form = Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Form",
            "BBox" => vec![
                Object::Real((-width / 2.0) as f32),
                Object::Real(-0.5),
                Object::Real((width / 2.0) as f32),
                Object::Real(1.0),
            ],
            "Matrix" => vec![
                Object::Real((1.0 / width) as f32), 0.into(), 0.into(),
                Object::Real((1.0 / width) as f32), 0.into(), 0.into(),
            ],
            "Resources" => dictionary! {
                "Font" => dictionary! { "F" => Object::Reference(id(reserved::FONT)) },
                "ExtGState" => dictionary! {
                    "GS" => dictionary! { "Type" => "ExtGState", "ca" => Object::Real(0.2), "CA" => Object::Real(0.2) },
                },
            },
        },
        content.into_bytes(),
    );
    let mut own = vec![(id(reserved::FORM), Object::Stream(form))];
    own.extend(font.objects(FontIds {
        type0: id(reserved::FONT),
        cid_font: id(reserved::CID_FONT),
        descriptor: id(reserved::DESCRIPTOR),
        file: id(reserved::FONT_FILE),
        to_unicode: id(reserved::TO_UNICODE),
    })?);
    let mut out = Vec::with_capacity(own.len());
    for ((num, generation), object) in &own {
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object).map_err(ApiError::internal)?;
        out.push((*num, *generation, body));
    }
    Ok(out)
}

/// The bytes appended to the original file: the stamp when `text` is given, and the pages'
/// added annotations. With neither it is an empty update (the caller sends the file alone).
pub fn tail_with(
    plan: &StampPlan,
    text: Option<&str>,
    additions: &PageAdditions,
) -> Result<Vec<u8>, ApiError> {
    let first = plan.first_free;
    // Pages that get annotations are written once, with both the stamp's changes (when
    // stamped) and their new `/Annots`.
    let mut annotated: std::collections::HashMap<u32, Vec<u8>> = std::collections::HashMap::new();
    for (index, ids) in &additions.annots {
        let page = plan.pages.get(*index).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "annotation on page {index} beyond the plan"
            ))
        })?;
        let mut body = b"<<".to_vec();
        body.extend_from_slice(if text.is_some() {
            &page.stamped
        } else {
            &page.original
        });
        body.extend_from_slice(b"/Annots [");
        body.extend_from_slice(&page.annots);
        for id in ids {
            body.extend_from_slice(format!("{id} 0 R ").as_bytes());
        }
        body.extend_from_slice(b"]>>");
        annotated.insert(page.id, body);
    }
    let mut objects: Vec<(u32, u16, Vec<u8>)> = Vec::new();
    if let Some(text) = text {
        for object in &plan.objects {
            if !annotated.contains_key(&object.id) {
                objects.push((object.id, object.generation, object.body.clone()));
            }
        }
        objects.extend(stamp_objects(plan, text)?);
    }
    for page in &plan.pages {
        if let Some(body) = annotated.remove(&page.id) {
            objects.push((page.id, page.generation, body));
        }
    }
    for (id, body) in &additions.objects {
        objects.push((*id, 0, body.clone()));
    }

    let mut out = Vec::with_capacity(objects.iter().map(|o| o.2.len() + 32).sum::<usize>() + 1024);
    if plan.needs_newline {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, u16, u64)> = Vec::with_capacity(objects.len());
    for (num, generation, body) in &objects {
        offsets.push((*num, *generation, plan.file_len + out.len() as u64));
        out.extend_from_slice(format!("{num} {generation} obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }

    offsets.sort_unstable_by_key(|(num, _, _)| *num);
    let xref_at = plan.file_len + out.len() as u64;
    let mut xref = String::from("xref\n");
    let mut i = 0;
    while i < offsets.len() {
        let mut j = i + 1;
        while j < offsets.len() && offsets[j].0 == offsets[j - 1].0 + 1 {
            j += 1;
        }
        let _ = writeln!(xref, "{} {}", offsets[i].0, j - i);
        for (_, generation, offset) in &offsets[i..j] {
            let _ = write!(xref, "{offset:010} {generation:05} n\r\n");
        }
        i = j;
    }
    out.extend_from_slice(xref.as_bytes());
    let size = offsets
        .last()
        .map(|(num, _, _)| num + 1)
        .unwrap_or(first)
        .max(first + reserved::COUNT);
    out.extend_from_slice(b"trailer\n<</Size ");
    out.extend_from_slice(size.to_string().as_bytes());
    out.extend_from_slice(&plan.trailer_entries);
    out.extend_from_slice(
        format!("/Prev {}>>\nstartxref\n{xref_at}\n%%EOF\n", plan.prev_xref).as_bytes(),
    );
    Ok(out)
}
