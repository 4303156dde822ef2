//! The meeting's record rendered: the biên bản and the thông báo kết luận as PDF (A4, the
//! layout of Nghị định 30/2020, the family's fonts embedded as subsets) and the biên bản as a
//! .docx for secretaries who finish it in Word. Pure functions of a `record::Record`: no
//! database, no clock; the same record gives the same bytes.
//!
//! Each PDF comes with where its signature rooms are (`SignatureBox`), so that signing can
//! place the signature images there without knowing the layout.

mod docx;
mod nd30;
pub mod samples;
mod summary;
mod words;

pub use crate::typeset::family::Fonts;

use crate::error::ApiError;
use crate::minutes::record::Record;
use crate::typeset::page::Frame;
use crate::typeset::pdf::{Decorations, Written};
use crate::typeset::setter::Typesetter;

/// Printed across every page of a preview.
pub const DRAFT_MARK: &str = "DỰ THẢO";

/// Where a signature goes: the empty room of a signature block.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureBox {
    /// "secretary" or "chair".
    pub block: &'static str,
    /// 1-based.
    pub page: u32,
    /// PDF user space (points, origin bottom left): x1, y1, x2, y2.
    pub rect: [f32; 4],
}

/// A rendered PDF and its signature rooms.
#[derive(Debug, Clone)]
pub struct RenderedPdf {
    pub bytes: Vec<u8>,
    pub pages: u32,
    pub signature_boxes: Vec<SignatureBox>,
}

/// The record's main document as a PDF: the biên bản of a session, the summary of a meeting
/// held in writing.
pub fn record_pdf(record: &Record, fonts: &Fonts) -> Result<RenderedPdf, ApiError> {
    if record.consultation.is_some() {
        summary_pdf_with_boxes(record, fonts)
    } else {
        minutes_pdf_with_boxes(record, fonts)
    }
}

/// The summary of a meeting held in writing (báo cáo tổng hợp ý kiến), with its signature
/// room (the chair's).
pub fn summary_pdf_with_boxes(record: &Record, fonts: &Fonts) -> Result<RenderedPdf, ApiError> {
    let title = summary::trich_yeu(record);
    render(record, fonts, &title, summary::summary)
}

/// The biên bản as a PDF.
pub fn minutes_pdf(record: &Record, fonts: &Fonts) -> Result<Vec<u8>, ApiError> {
    minutes_pdf_with_boxes(record, fonts).map(|r| r.bytes)
}

/// The biên bản as a PDF, with its two signature rooms (THƯ KÝ, CHỦ TỌA).
pub fn minutes_pdf_with_boxes(record: &Record, fonts: &Fonts) -> Result<RenderedPdf, ApiError> {
    render(record, fonts, &record.title, nd30::minutes)
}

/// The thông báo kết luận as a PDF.
pub fn conclusions_pdf(record: &Record, fonts: &Fonts) -> Result<Vec<u8>, ApiError> {
    conclusions_pdf_with_boxes(record, fonts).map(|r| r.bytes)
}

/// The thông báo kết luận as a PDF, with its signature room (the chair's).
pub fn conclusions_pdf_with_boxes(record: &Record, fonts: &Fonts) -> Result<RenderedPdf, ApiError> {
    let title = nd30::conclusions_summary(record);
    render(record, fonts, &title, nd30::conclusions)
}

/// The record's main document (the biên bản, or a written meeting's summary) as a .docx in
/// Times New Roman, A4 with the decree's margins.
pub fn minutes_docx(record: &Record) -> Result<Vec<u8>, ApiError> {
    // Blocks are built with DejaVu's widths (only short rules depend on them); Word sets the
    // text in Times New Roman itself.
    let fonts = Fonts::dejavu();
    let mut ts = Typesetter::new(&fonts)?;
    let frame = Frame::a4_nd30();
    let blocks = if record.consultation.is_some() {
        summary::summary(&mut ts, record, frame.body_width())
    } else {
        nd30::minutes(&mut ts, record, frame.body_width())
    };
    docx::write(&blocks, &frame, record.draft, &record.title)
}

fn render(
    record: &Record,
    fonts: &Fonts,
    title: &str,
    build: fn(&mut Typesetter<'_>, &Record, f32) -> Vec<crate::typeset::layout::Block>,
) -> Result<RenderedPdf, ApiError> {
    let mut ts = Typesetter::new(fonts)?;
    let frame = Frame::a4_nd30();
    let blocks = build(&mut ts, record, frame.body_width());
    let decorations = Decorations {
        page_number_size: 13.0,
        draft_mark: record.draft.then(|| DRAFT_MARK.to_owned()),
        title: crate::typeset::text::one_line(title),
    };
    let Written {
        bytes,
        pages,
        rooms,
    } = crate::typeset::typeset(&mut ts, &blocks, &frame, &decorations)?;
    Ok(RenderedPdf {
        bytes,
        pages,
        signature_boxes: rooms
            .into_iter()
            .map(|r| SignatureBox {
                block: r.id,
                page: r.page,
                rect: r.rect,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests;
