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

/// The bytes appended to the original file to stamp `text` on each of its pages.
pub fn tail(plan: &StampPlan, text: &str) -> Result<Vec<u8>, ApiError> {
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
    }));

    let mut out = Vec::with_capacity(
        plan.objects
            .iter()
            .map(|o| o.body.len() + 32)
            .sum::<usize>()
            + 16 * 1024,
    );
    if plan.needs_newline {
        out.push(b'\n');
    }
    let mut offsets: Vec<(u32, u16, u64)> = Vec::new();
    let mut put = |out: &mut Vec<u8>, num: u32, generation: u16, body: &[u8]| {
        offsets.push((num, generation, plan.file_len + out.len() as u64));
        out.extend_from_slice(format!("{num} {generation} obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    for object in &plan.objects {
        put(&mut out, object.id, object.generation, &object.body);
    }
    for ((num, generation), object) in &own {
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object).map_err(ApiError::internal)?;
        put(&mut out, *num, *generation, &body);
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
