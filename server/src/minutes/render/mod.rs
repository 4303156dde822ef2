//! Rendering the record: a plain stand-in until the Nghị định 30 layout lands (lines of text in
//! the board book's font), with the interface the layout keeps.

use std::path::Path;

use crate::documents::book::{Line, text_pdf};
use crate::error::ApiError;

use super::record::Record;

/// The record's fonts.
#[derive(Debug, Clone, Default)]
pub struct Fonts;

impl Fonts {
    pub fn load(_dir: Option<&Path>) -> Self {
        Self
    }
}

fn lines(record: &Record, title: &str, number: Option<&str>, conclusions: bool) -> Vec<Line> {
    let mut out = vec![
        Line::new(&record.letterhead.name, 12.0, 0),
        Line::new("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12.0, 0),
        Line::new("Độc lập - Tự do - Hạnh phúc", 12.0, 0),
        Line::new(&format!("Số: {}", number.unwrap_or("…")), 12.0, 0),
        Line::new(title, 14.0, 0),
        Line::new(&record.title, 12.0, 0),
    ];
    if !conclusions {
        out.push(Line::new(
            &format!(
                "Có mặt: {}/{}",
                record.attendance.present.len(),
                record.attendance.expected
            ),
            11.0,
            0,
        ));
        for p in &record.attendance.present {
            out.push(Line::new(&p.name, 11.0, 1));
        }
        for a in &record.attendance.absent {
            out.push(Line::new(
                &format!("Vắng: {} {}", a.name, a.reason.as_deref().unwrap_or("")),
                11.0,
                1,
            ));
        }
    }
    for item in &record.items {
        out.push(Line::new(
            &format!("{}. {}", item.number, item.title),
            11.0,
            0,
        ));
        if !conclusions {
            for para in item.notes.lines() {
                out.push(Line::new(para, 11.0, 1));
            }
            for poll in &item.polls {
                out.push(Line::new(
                    &format!(
                        "{}: Tán thành {}/{}, Không tán thành {}/{}, Không biểu quyết {}/{} - {}",
                        poll.title,
                        poll.for_motion,
                        poll.of,
                        poll.against,
                        poll.of,
                        poll.not_voting,
                        poll.of,
                        poll.result
                    ),
                    11.0,
                    1,
                ));
            }
        }
        for para in item.conclusion.lines() {
            out.push(Line::new(para, 11.0, 1));
        }
    }
    if let Some((seq, hash)) = &record.audit_head {
        out.push(Line::new(&format!("seq {seq} {hash}"), 9.0, 0));
    }
    out.retain(|l| !l.text.trim().is_empty());
    out
}

/// The biên bản.
pub fn minutes_pdf(record: &Record, _fonts: &Fonts) -> Result<Vec<u8>, ApiError> {
    text_pdf(&lines(
        record,
        "BIÊN BẢN",
        record.minutes_number.as_deref(),
        false,
    ))
}

/// The thông báo kết luận.
pub fn conclusions_pdf(record: &Record, _fonts: &Fonts) -> Result<Vec<u8>, ApiError> {
    text_pdf(&lines(
        record,
        "THÔNG BÁO",
        record.conclusions_number.as_deref(),
        true,
    ))
}

/// The biên bản as a Word document.
pub fn minutes_docx(_record: &Record) -> Result<Vec<u8>, ApiError> {
    Err(ApiError::internal(anyhow::anyhow!(
        "the .docx of the record is not available in this build"
    )))
}
