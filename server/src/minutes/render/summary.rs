//! The summary of a meeting held in writing (báo cáo tổng hợp ý kiến thành viên), laid out as
//! the biên bản is (Nghị định 30/2020): the same header with a "…/BC-…" number, the kind and
//! trích yếu, how the members were asked, then per question the table of every member's
//! answer (time and comment), the counts and the result, the office's closing words, and the
//! chair's signature block beside Nơi nhận.

use chrono::NaiveDateTime;

use super::nd30::{
    AFTER, BODY, INDENT, audit, body, bold, free_text, header, labelled, or_blank,
    recipients_and_chair, style, title,
};
use super::words::{self, BLANK};
use crate::minutes::record::{Consultation, Question, Record};
use crate::typeset::layout::{Align, Block, Face, Paragraph, Table};
use crate::typeset::setter::Typesetter;
use crate::typeset::text::one_line;

/// What the members were asked about, as it reads after "về": the title without a leading
/// "Xin ý kiến về" / "Lấy ý kiến về" that would otherwise print twice.
pub fn subject(title: &str) -> String {
    let title = or_blank(title);
    let lower = title.to_lowercase();
    for lead in [
        "xin ý kiến về ",
        "lấy ý kiến về ",
        "xin ý kiến ",
        "lấy ý kiến ",
    ] {
        if lower.starts_with(lead) {
            let rest: String = title.chars().skip(lead.chars().count()).collect();
            if !rest.trim().is_empty() && rest.trim() != "về" {
                return words::in_sentence(rest.trim());
            }
        }
    }
    words::in_sentence(&title)
}

/// The trích yếu: "Tổng hợp ý kiến thành viên về …".
pub fn trich_yeu(record: &Record) -> String {
    format!("Tổng hợp ý kiến thành viên về {}", subject(&record.title))
}

/// "08 giờ 00 phút, ngày 07 tháng 12 năm 2026".
fn when(at: Option<NaiveDateTime>) -> String {
    at.map_or_else(
        || format!("{BLANK} giờ {BLANK} phút, ngày {BLANK}"),
        |at| format!("{}, {}", words::clock(at), words::long_date(at.date())),
    )
}

/// "dd/mm/yyyy hh:mm", short enough for a table cell.
fn short_time(at: NaiveDateTime) -> String {
    at.format("%d/%m/%Y %H:%M").to_string()
}

/// The counts in words: "Đồng ý: 4/7 (trong đó coi như đồng ý: 1); Không đồng ý: 1/7; …".
pub fn counts_line(q: &Question) -> String {
    let mut parts = Vec::new();
    for (i, (option, n)) in q.counts.iter().enumerate() {
        if i == 0 && q.deemed > 0 {
            parts.push(format!(
                "{option}: {}/{} (trong đó coi như đồng ý: {})",
                n + q.deemed,
                q.of,
                q.deemed
            ));
        } else {
            parts.push(format!("{option}: {n}/{}", q.of));
        }
    }
    parts.push(format!("Không trả lời: {}/{}", q.silent, q.of));
    format!("{}.", parts.join("; "))
}

/// "Thông qua (Quá nửa tổng số thành viên)" with the tie note, or the blank of a preview.
pub fn result_line(q: &Question) -> String {
    if q.result.is_empty() {
        return format!("{BLANK} (đang lấy ý kiến).");
    }
    let tie = if q.tie_broken_by_chair {
        "; số phiếu ngang nhau, quyết định theo ý kiến của Chủ tịch"
    } else {
        ""
    };
    format!("{} ({}{tie}).", q.result, words::in_sentence(&q.majority))
}

fn answers_table(q: &Question) -> Block {
    let cell_style = style(Face::Regular, 12.0);
    let head = |t: &str| {
        Paragraph::new(Align::Center)
            .span(t, style(Face::Bold, 12.0))
            .leading(1.15)
    };
    let cell = |t: String, align| Paragraph::new(align).span(t, cell_style).leading(1.15);
    Block::Table(Table {
        widths: vec![0.07, 0.27, 0.18, 0.17, 0.31],
        header: vec![
            head("STT"),
            head("Họ và tên"),
            head("Ý kiến"),
            head("Thời gian"),
            head("Nội dung ý kiến"),
        ],
        rows: q
            .answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                vec![
                    cell((i + 1).to_string(), Align::Center),
                    cell(one_line(&a.name), Align::Left),
                    cell(one_line(&a.answer), Align::Left),
                    cell(a.at.map(short_time).unwrap_or_default(), Align::Center),
                    cell(
                        a.comment.as_deref().map(one_line).unwrap_or_default(),
                        Align::Left,
                    ),
                ]
            })
            .collect(),
        padding: 3.0,
    })
}

fn question(number: usize, q: &Question) -> Vec<Block> {
    let secret = if q.secret { " (phiếu kín)" } else { "" };
    let mut blocks = vec![Block::Paragraph(
        Paragraph::new(Align::Justify)
            .span(format!("{number}. {}{secret}", or_blank(&q.title)), bold())
            .first_indent(INDENT)
            .space_before(6.0)
            .space_after(AFTER)
            .keep_with_next(),
    )];
    if !q.answers.is_empty() {
        blocks.push(answers_table(q));
        blocks.push(Block::Space(AFTER));
    }
    blocks.push(Block::Paragraph(labelled("Tổng hợp:", counts_line(q))));
    blocks.push(Block::Paragraph(labelled("Kết quả:", result_line(q))));
    blocks
}

fn introduction(record: &Record, c: &Consultation) -> Vec<Block> {
    let sender = one_line(&record.letterhead.name);
    let sender = if sender.is_empty() {
        "Cơ quan".to_owned()
    } else {
        sender
    };
    let sent = c
        .sent_at
        .map_or_else(|| format!("ngày {BLANK}"), |at| words::long_date(at.date()));
    let mut blocks = vec![Block::Paragraph(body(format!(
        "Thực hiện Quy chế làm việc, {} {sender} đã gửi phiếu lấy ý kiến bằng văn bản đến {} \
         thành viên về {}. Thời hạn trả lời: {}.",
        sent,
        c.asked,
        subject(&record.title),
        when(c.deadline),
    )))];
    if c.silence_agrees {
        blocks.push(Block::Paragraph(body(
            "Theo Quy chế làm việc, thành viên không trả lời trong thời hạn được coi như đồng ý.",
        )));
    }
    blocks.extend(free_text(&record.opening));
    blocks.push(Block::Paragraph(
        body("Kết quả tổng hợp ý kiến như sau:").keep_with_next(),
    ));
    blocks
}

/// The summary of a meeting held in writing; a record without a consultation gets the
/// layout with no questions.
pub fn summary(ts: &mut Typesetter<'_>, record: &Record, width: f32) -> Vec<Block> {
    let empty = Consultation {
        sent_at: None,
        deadline: None,
        closed_at: None,
        silence_agrees: false,
        asked: 0,
        questions: Vec::new(),
    };
    let c = record.consultation.as_ref().unwrap_or(&empty);
    let mut blocks = vec![header(
        ts,
        record,
        width,
        record.minutes_number.as_deref(),
        "BC",
    )];
    blocks.extend(title(ts, "BÁO CÁO", &trich_yeu(record), width));
    blocks.extend(introduction(record, c));
    for (i, q) in c.questions.iter().enumerate() {
        blocks.extend(question(i + 1, q));
    }
    blocks.extend(free_text(&record.closing));
    let closing = match c.closed_at {
        Some(at) => format!(
            "Việc lấy ý kiến kết thúc lúc {}. Kính trình Chủ tịch xem xét, quyết định./.",
            when(Some(at))
        ),
        None => "Kính trình Chủ tịch xem xét, quyết định./.".to_owned(),
    };
    blocks.push(Block::Paragraph(
        Paragraph::new(Align::Justify)
            .span(closing, style(Face::Regular, BODY))
            .first_indent(INDENT)
            .space_after(AFTER)
            .keep_with_next(),
    ));
    blocks.push(Block::Space(6.0));
    blocks.push(recipients_and_chair(record, width));
    blocks.extend(audit(record));
    blocks
}
