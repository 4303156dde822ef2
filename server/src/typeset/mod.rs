//! Typesetting for the documents ecabinet writes itself (the meeting's record): text cleaned
//! for print (`text`), the serif family (`family`), faces embedded as subsets (`font`), the
//! document model (`layout`) set into lines (`setter`, `flow`), lines dealt onto pages
//! (`page`) and pages written as a PDF (`pdf`). Knows nothing of meetings: callers describe a
//! document as `layout::Block`s.

pub mod family;
mod flow;
pub mod font;
pub mod layout;
pub mod page;
pub mod pdf;
pub mod setter;
pub mod text;

use crate::error::ApiError;

/// Sets `blocks` on pages of `frame` with `ts` and writes the PDF.
pub fn typeset(
    ts: &mut setter::Typesetter<'_>,
    blocks: &[layout::Block],
    frame: &page::Frame,
    decorations: &pdf::Decorations,
) -> Result<pdf::Written, ApiError> {
    let mut headers = Vec::new();
    let slabs = ts.slabs(
        blocks,
        frame.left,
        frame.body_width(),
        frame.body_height(),
        &mut headers,
    );
    let pages = page::paginate(slabs, &headers, frame);
    pdf::write(ts, pages, frame, decorations)
}
