//! Pages written as a PDF with lopdf: one content stream per page, the faces used embedded as
//! subsets, page numbers centred in the top margin from page 2 (Nghị định 30/2020), and, on a
//! draft, a light mark across every page beneath the text.

use std::fmt::Write as _;

use lopdf::dictionary;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use super::font::{FontIds, hex_string};
use super::layout::{Draw, Face, Room, Style};
use super::page::{Frame, Page};
use super::setter::Typesetter;
use crate::error::ApiError;

/// What the writer adds to every page.
#[derive(Debug, Clone, Default)]
pub struct Decorations {
    /// Page numbers from page 2, in this size (0: none).
    pub page_number_size: f32,
    /// Printed across every page when given ("DỰ THẢO").
    pub draft_mark: Option<String>,
    /// The document's title in its metadata.
    pub title: String,
}

/// A room on a page of the written PDF, in PDF user space (y upwards).
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedRoom {
    pub id: &'static str,
    /// 1-based.
    pub page: u32,
    /// x1, y1, x2, y2 with x1 < x2 and y1 < y2.
    pub rect: [f32; 4],
}

/// The PDF and where its rooms are.
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: Vec<u8>,
    pub pages: u32,
    pub rooms: Vec<PlacedRoom>,
}

/// Writes `pages`, set by `ts` in `frame`.
pub fn write(
    ts: &mut Typesetter<'_>,
    pages: Vec<Page>,
    frame: &Frame,
    decorations: &Decorations,
) -> Result<Written, ApiError> {
    // Decorations are set first: their glyphs must be in the subsets before these are cut.
    let count = pages.len();
    let mut under: Vec<String> = Vec::with_capacity(count);
    let mut over: Vec<Vec<Draw>> = Vec::with_capacity(count);
    let mark = decorations
        .draft_mark
        .as_deref()
        .map(|text| draft_mark(ts, text, frame));
    for index in 0..count {
        under.push(mark.clone().unwrap_or_default());
        let mut extra = Vec::new();
        if index > 0 && decorations.page_number_size > 0.0 {
            let style = Style::new(Face::Regular, decorations.page_number_size);
            let text = (index + 1).to_string();
            let width = ts.width(&text, style);
            let x = frame.left + (frame.body_width() - width) / 2.0;
            // Baseline so that the digits sit midway in the top margin.
            let y = frame.top / 2.0 + style.size * 0.35;
            extra.extend(ts.run(&text, style, x, y));
        }
        over.push(extra);
    }

    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut fonts = Dictionary::new();
    for (index, face) in ts.faces.iter().enumerate() {
        if face.is_unused() {
            continue;
        }
        let ids = FontIds::new_in(&mut doc);
        for (id, object) in face.objects(ids)? {
            doc.objects.insert(id, object);
        }
        fonts.set(format!("F{index}"), ids.type0);
    }
    let resources = doc.add_object(dictionary! { "Font" => fonts });
    let media_box = vec![
        0.into(),
        0.into(),
        Object::Real(frame.width),
        Object::Real(frame.height),
    ];

    let mut kids: Vec<ObjectId> = Vec::with_capacity(count);
    let mut rooms = Vec::new();
    for (index, ((page, under), over)) in pages.into_iter().zip(under).zip(over).enumerate() {
        let mut content = under;
        content.push_str(&content_of(page.draws.iter().chain(&over), frame));
        let stream = doc.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        kids.push(doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => media_box.clone(),
            "Contents" => stream,
            "Resources" => resources,
        }));
        rooms.extend(page.rooms.iter().map(|r| placed(r, index, frame)));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.iter().copied().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => count as i64,
        }),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
        "Lang" => Object::String(b"vi-VN".to_vec(), StringFormat::Literal),
    });
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dictionary! {
        "Title" => text_string(&decorations.title),
        "Producer" => Object::String(b"ecabinet".to_vec(), StringFormat::Literal),
    });
    doc.trailer.set("Info", info);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).map_err(ApiError::internal)?;
    Ok(Written {
        bytes,
        pages: count as u32,
        rooms,
    })
}

fn placed(room: &Room, index: usize, frame: &Frame) -> PlacedRoom {
    PlacedRoom {
        id: room.id,
        page: index as u32 + 1,
        rect: [
            room.x,
            frame.height - room.y - room.height,
            room.x + room.width,
            frame.height - room.y,
        ],
    }
}

/// A PDF text string: UTF-16BE with its byte order mark, so any title survives.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// The draft mark: light grey capitals across the page, drawn before (under) the text.
fn draft_mark(ts: &mut Typesetter<'_>, text: &str, frame: &Frame) -> String {
    let style = Style::new(Face::Bold, 96.0);
    let draws = ts.run(text, style, 0.0, 0.0);
    let width: f32 = draws
        .iter()
        .map(|d| match d {
            Draw::Text { width, .. } => *width,
            Draw::Line { .. } => 0.0,
        })
        .sum();
    let (sin, cos) = 35f32.to_radians().sin_cos();
    // Centre the line's middle (half its width along, a third of the size up) on the page's.
    let cx = frame.width / 2.0 - cos * width / 2.0 + sin * style.size / 3.0;
    let cy = frame.height / 2.0 - sin * width / 2.0 - cos * style.size / 3.0;
    let mut out = String::from("q 0.85 g BT\n");
    for draw in &draws {
        if let Draw::Text {
            x, font, glyphs, ..
        } = draw
        {
            let _ = writeln!(
                out,
                "/F{font} {} Tf {cos:.4} {sin:.4} {:.4} {cos:.4} {:.2} {:.2} Tm {} TJ",
                style.size,
                -sin,
                cx + cos * x,
                cy + sin * x,
                tj(glyphs, style.size)
            );
        }
    }
    out.push_str("ET Q\n");
    out
}

/// The content stream drawing `draws` (top-down coordinates) on a page of `frame`.
fn content_of<'d>(draws: impl Iterator<Item = &'d Draw>, frame: &Frame) -> String {
    let mut text = String::from("BT 0 g\n");
    let mut lines = String::from("0 G\n");
    let mut current: Option<(u8, f32)> = None;
    let mut line_width: Option<f32> = None;
    for draw in draws {
        match draw {
            Draw::Text {
                x,
                y,
                font,
                size,
                glyphs,
                ..
            } => {
                if current != Some((*font, *size)) {
                    let _ = write!(text, "/F{font} {size} Tf ");
                    current = Some((*font, *size));
                }
                let _ = writeln!(
                    text,
                    "1 0 0 1 {x:.2} {:.2} Tm {} TJ",
                    frame.height - y,
                    tj(glyphs, *size)
                );
            }
            Draw::Line {
                x1,
                y1,
                x2,
                y2,
                width,
            } => {
                if line_width != Some(*width) {
                    let _ = write!(lines, "{width} w ");
                    line_width = Some(*width);
                }
                let _ = writeln!(
                    lines,
                    "{x1:.2} {:.2} m {x2:.2} {:.2} l S",
                    frame.height - y1,
                    frame.height - y2
                );
            }
        }
    }
    text.push_str("ET\n");
    text.push_str(&lines);
    text
}

/// A `TJ` array: glyph codes, with the extra space after a glyph as a negative adjustment in
/// thousandths of the font size.
fn tj(glyphs: &[(u16, f32)], size: f32) -> String {
    let mut out = String::from("[");
    let mut codes: Vec<u8> = Vec::new();
    for (code, after) in glyphs {
        codes.extend_from_slice(&code.to_be_bytes());
        if after.abs() > 0.001 {
            out.push_str(&hex_string(&codes));
            codes.clear();
            let _ = write!(out, " {:.1} ", -after * 1000.0 / size);
        }
    }
    if !codes.is_empty() {
        out.push_str(&hex_string(&codes));
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tj_spreads_justification_space_after_spaces() {
        assert_eq!(tj(&[(1, 0.0), (2, 0.0)], 14.0), "[<00010002>]");
        assert_eq!(
            tj(&[(1, 0.0), (3, 2.8), (2, 0.0)], 14.0),
            "[<00010003> -200.0 <0002>]"
        );
    }

    #[test]
    fn rooms_are_given_in_pdf_space() {
        let frame = Frame::a4_nd30();
        let room = Room {
            id: "chair",
            x: 300.0,
            y: 500.0,
            width: 150.0,
            height: 99.0,
        };
        let placed = placed(&room, 1, &frame);
        assert_eq!(placed.page, 2);
        assert!((placed.rect[1] - (841.89 - 599.0)).abs() < 0.01);
        assert!((placed.rect[3] - (841.89 - 500.0)).abs() < 0.01);
        assert_eq!(placed.rect[2] - placed.rect[0], 150.0);
    }
}
