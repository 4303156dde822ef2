//! The biên bản (Nghị định 30/2020, Phụ lục III, Mẫu 1.9) and the thông báo kết luận as
//! blocks to set: the header of two columns (issuing body and number on the left, Quốc hiệu,
//! Tiêu ngữ and place-and-date on the right), the kind and trích yếu, the body, the signature
//! blocks with their empty rooms, Nơi nhận. Sizes and spacing follow the decree's Phụ lục I.

use super::words::{self, BLANK};
use crate::minutes::record::{Item, Record};
use crate::typeset::layout::{Align, Block, Column, Face, MM, Paragraph, Rule, Style, Table};
use crate::typeset::setter::Typesetter;
use crate::typeset::text::{one_line, paragraphs};

/// Body text.
pub(super) const BODY: f32 = 14.0;
/// First-line indent of body paragraphs: 1 cm.
pub(super) const INDENT: f32 = 10.0 * MM;
/// Space after body paragraphs.
pub(super) const AFTER: f32 = 6.0;
/// Height of a signature's room (the signature image goes there).
pub const ROOM_HEIGHT: f32 = 35.0 * MM;
const ROOM_WIDTH: f32 = 60.0 * MM;

pub const QUOC_HIEU: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
pub const TIEU_NGU: &str = "Độc lập - Tự do - Hạnh phúc";

pub(super) fn style(face: Face, size: f32) -> Style {
    Style::new(face, size)
}

pub(super) fn regular() -> Style {
    style(Face::Regular, BODY)
}

pub(super) fn bold() -> Style {
    style(Face::Bold, BODY)
}

/// A body paragraph: justified, first line indented, 6 pt after.
pub(super) fn body(text: impl Into<String>) -> Paragraph {
    Paragraph::new(Align::Justify)
        .span(text, regular())
        .first_indent(INDENT)
        .space_after(AFTER)
}

/// A body paragraph opening with a bold label ("Địa điểm: ").
pub(super) fn labelled(label: &str, text: impl Into<String>) -> Paragraph {
    Paragraph::new(Align::Justify)
        .span(format!("{label} "), bold())
        .span(text, regular())
        .first_indent(INDENT)
        .space_after(AFTER)
}

pub(super) fn centred(text: impl Into<String>, style: Style) -> Paragraph {
    Paragraph::new(Align::Center)
        .span(text, style)
        .leading(1.15)
}

pub(super) fn or_blank(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        BLANK.to_owned()
    } else {
        text
    }
}

/// The two columns at the head of page 1, with the number's kind ("BB", "TB").
pub(super) fn header(
    ts: &mut Typesetter<'_>,
    record: &Record,
    width: f32,
    number: Option<&str>,
    kind: &str,
) -> Block {
    let lh = &record.letterhead;
    let left_width = (width * 0.4).round();
    let right_width = width - left_width;
    let name = one_line(&lh.name).to_uppercase();
    let name_style = style(Face::Bold, 13.0);
    let mut left = Vec::new();
    let parent = one_line(&lh.parent).to_uppercase();
    if !parent.is_empty() {
        left.push(Block::Paragraph(centred(
            parent,
            style(Face::Regular, 13.0),
        )));
    }
    let name_width = ts.width(&name, name_style).min(left_width);
    left.push(Block::Paragraph(centred(or_blank(&name), name_style)));
    left.push(Block::Rule(Rule {
        width: (name_width * 0.4).max(30.0),
        align: Align::Center,
        thickness: 0.6,
        space_before: 2.0,
        space_after: 6.0,
    }));
    left.push(Block::Paragraph(centred(
        words::number_line(number, kind, &lh.sign),
        style(Face::Regular, 13.0),
    )));

    let motto = style(Face::Bold, 13.0);
    let motto_width = ts.width(TIEU_NGU, motto);
    let right = vec![
        Block::Paragraph(centred(QUOC_HIEU, style(Face::Bold, 12.0))),
        Block::Paragraph(centred(TIEU_NGU, motto)),
        Block::Rule(Rule {
            width: motto_width,
            align: Align::Center,
            thickness: 0.6,
            space_before: 2.0,
            space_after: 6.0,
        }),
        Block::Paragraph(centred(
            words::place_and_date(&lh.place, record.date),
            style(Face::Italic, 14.0),
        )),
    ];
    Block::Columns(vec![
        Column {
            width: left_width,
            blocks: left,
        },
        Column {
            width: right_width,
            blocks: right,
        },
    ])
}

/// The kind ("BIÊN BẢN") and the trích yếu beneath it, with a short rule.
pub(super) fn title(ts: &mut Typesetter<'_>, kind: &str, summary: &str, width: f32) -> Vec<Block> {
    let summary = or_blank(summary);
    let style = bold();
    let widest = ts.width(&summary, style).min(width);
    vec![
        Block::Space(24.0),
        Block::Paragraph(centred(kind, style).keep_with_next()),
        Block::Paragraph(centred(summary, style).keep_with_next()),
        Block::Rule(Rule {
            width: (widest / 3.0).clamp(50.0, width / 2.0),
            align: Align::Center,
            thickness: 0.6,
            space_before: 4.0,
            space_after: 14.0,
        }),
    ]
}

/// A signature block: its titles, the empty room, the name.
fn signature(titles: &[String], room: &'static str, name: Option<&str>, width: f32) -> Column {
    let mut blocks: Vec<Block> = titles
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| Block::Paragraph(centred(t.clone(), bold())))
        .collect();
    blocks.push(Block::Room {
        id: room,
        width: ROOM_WIDTH,
        height: ROOM_HEIGHT,
    });
    let name = name.map(one_line).filter(|n| !n.is_empty());
    blocks.push(Block::Paragraph(centred(
        name.unwrap_or_else(|| BLANK.to_owned()),
        bold(),
    )));
    Column { width, blocks }
}

/// Nơi nhận: italic bold 12 pt, entries 11 pt each "- X;", the last "- Lưu: VT.".
fn recipients(record: &Record) -> Vec<Block> {
    let entry = |text: String| {
        Block::Paragraph(
            Paragraph::new(Align::Left)
                .span(text, style(Face::Regular, 11.0))
                .leading(1.15),
        )
    };
    let mut blocks = vec![Block::Paragraph(
        Paragraph::new(Align::Left)
            .span("Nơi nhận:", style(Face::BoldItalic, 12.0))
            .leading(1.15),
    )];
    for name in record.letterhead.recipients.iter().map(|r| one_line(r)) {
        if !name.is_empty() {
            let name = name.trim_end_matches([';', '.', ',']);
            blocks.push(entry(format!("- {name};")));
        }
    }
    blocks.push(entry("- Lưu: VT.".to_owned()));
    blocks
}

/// The audit chain's head, small, on the last page.
pub(super) fn audit(record: &Record) -> Option<Block> {
    let (seq, hash) = record.audit_head.as_ref()?;
    Some(Block::Paragraph(
        Paragraph::new(Align::Left)
            .span(
                format!("Chuỗi kiểm toán: seq {seq}, SHA-256 {}", one_line(hash)),
                style(Face::Regular, 9.0),
            )
            .space_before(12.0),
    ))
}

/// Free text (notes, conclusions) as body paragraphs.
pub(super) fn free_text(text: &str) -> impl Iterator<Item = Block> {
    paragraphs(text)
        .into_iter()
        .map(|p| Block::Paragraph(body(p)))
}

/// The attendance: present x/y, the table of those present, the absences.
fn attendance(record: &Record) -> Vec<Block> {
    let a = &record.attendance;
    let mut blocks = vec![Block::Paragraph(
        labelled(
            "Thành phần tham dự:",
            format!("có mặt {}/{} người.", a.present.len(), a.expected),
        )
        .keep_with_next(),
    )];
    if !a.present.is_empty() {
        let cell_style = style(Face::Regular, 13.0);
        let head = |t: &str| {
            Paragraph::new(Align::Center)
                .span(t, style(Face::Bold, 13.0))
                .leading(1.15)
        };
        let cell = |t: String, align| Paragraph::new(align).span(t, cell_style).leading(1.15);
        blocks.push(Block::Table(Table {
            widths: vec![0.09, 0.35, 0.2, 0.36],
            header: vec![
                head("STT"),
                head("Họ và tên"),
                head("Vai trò"),
                head("Ghi chú"),
            ],
            rows: a
                .present
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    vec![
                        cell((i + 1).to_string(), Align::Center),
                        cell(one_line(&p.name), Align::Left),
                        cell(one_line(&p.role), Align::Left),
                        cell(words::presence_note(p), Align::Left),
                    ]
                })
                .collect(),
            padding: 3.0,
        }));
        blocks.push(Block::Space(AFTER * 2.0));
    }
    if a.absent.is_empty() {
        blocks.push(Block::Paragraph(labelled("Vắng mặt:", "không.")));
    } else {
        blocks.push(Block::Paragraph(
            labelled("Vắng mặt:", format!("{} người.", a.absent.len())).keep_with_next(),
        ));
        let count = a.absent.len();
        for (i, absent) in a.absent.iter().enumerate() {
            let end = if i + 1 == count { "." } else { ";" };
            blocks.push(Block::Paragraph(
                body(format!("- {}{end}", words::absence(absent))).space_after(0.0),
            ));
        }
        blocks.push(Block::Space(AFTER));
    }
    blocks
}

/// One agenda item of the biên bản.
fn item(item: &Item) -> Vec<Block> {
    let heading = format!("{}. {}", one_line(&item.number), or_blank(&item.title));
    let mut blocks = vec![Block::Paragraph(
        Paragraph::new(Align::Justify)
            .span(heading, bold())
            .first_indent(INDENT)
            .space_before(6.0)
            .space_after(AFTER)
            .keep_with_next(),
    )];
    if let Some(presenter) = item
        .presenter
        .as_deref()
        .map(one_line)
        .filter(|p| !p.is_empty())
    {
        blocks.push(Block::Paragraph(labelled(
            "Trình bày:",
            format!("{presenter}."),
        )));
    }
    blocks.extend(free_text(&item.notes));
    if !item.speeches.is_empty() {
        blocks.push(Block::Paragraph(
            labelled(
                "Ý kiến phát biểu:",
                format!("{} lượt.", item.speeches.len()),
            )
            .keep_with_next(),
        ));
        let count = item.speeches.len();
        for (i, speech) in item.speeches.iter().enumerate() {
            let time = speech
                .seconds
                .map(|s| format!(" ({})", words::duration(s)))
                .unwrap_or_default();
            let end = if i + 1 == count { "." } else { ";" };
            blocks.push(Block::Paragraph(
                body(format!("- {}{time}{end}", or_blank(&speech.name))).space_after(0.0),
            ));
        }
        blocks.push(Block::Space(AFTER));
    }
    for poll in &item.polls {
        let secret = if poll.secret {
            " (bỏ phiếu kín)"
        } else {
            ""
        };
        blocks.push(Block::Paragraph(
            labelled("Biểu quyết:", format!("{}{secret}.", or_blank(&poll.title)))
                .space_after(0.0)
                .keep_with_next(),
        ));
        blocks.push(Block::Paragraph(body(words::poll_result(poll))));
    }
    if !item.documents.is_empty() {
        blocks.push(Block::Paragraph(
            labelled("Tài liệu:", "").keep_with_next().space_after(0.0),
        ));
        let count = item.documents.len();
        for (i, title) in item.documents.iter().enumerate() {
            let end = if i + 1 == count { "." } else { ";" };
            blocks.push(Block::Paragraph(
                body(format!("- {}{end}", or_blank(title))).space_after(0.0),
            ));
        }
        blocks.push(Block::Space(AFTER));
    }
    let conclusion = paragraphs(&item.conclusion);
    if let Some((first, rest)) = conclusion.split_first() {
        blocks.push(Block::Paragraph(labelled("Kết luận:", first.clone())));
        blocks.extend(rest.iter().map(|p| Block::Paragraph(body(p.clone()))));
    }
    blocks
}

/// The biên bản.
pub fn minutes(ts: &mut Typesetter<'_>, record: &Record, width: f32) -> Vec<Block> {
    let mut blocks = vec![header(
        ts,
        record,
        width,
        record.minutes_number.as_deref(),
        "BB",
    )];
    blocks.extend(title(ts, "BIÊN BẢN", &record.title, width));
    let start = match record.started_at {
        Some(at) => format!("{}, {}.", words::clock(at), words::long_date(at.date())),
        None => format!("{BLANK} giờ {BLANK} phút, ngày {BLANK}."),
    };
    blocks.push(Block::Paragraph(labelled("Thời gian bắt đầu:", start)));
    let place = record
        .location
        .as_deref()
        .map(or_blank)
        .unwrap_or_else(|| BLANK.to_owned());
    blocks.push(Block::Paragraph(labelled("Địa điểm:", format!("{place}."))));
    blocks.extend(attendance(record));
    let person = |p: &Option<crate::minutes::record::Person>| {
        p.as_ref()
            .map_or_else(|| BLANK.to_owned(), |p| or_blank(&p.name))
    };
    blocks.push(Block::Paragraph(labelled(
        "Chủ trì (chủ tọa):",
        format!("{}.", person(&record.chair)),
    )));
    blocks.push(Block::Paragraph(labelled(
        "Thư ký (người ghi biên bản):",
        format!("{}.", person(&record.secretary)),
    )));
    blocks.push(Block::Paragraph(
        Paragraph::new(Align::Justify)
            .span("Nội dung cuộc họp:", bold())
            .first_indent(INDENT)
            .space_after(AFTER)
            .keep_with_next(),
    ));
    blocks.extend(free_text(&record.opening));
    for it in &record.items {
        blocks.extend(item(it));
    }
    blocks.extend(free_text(&record.closing));
    let end = match (record.ended_at, record.started_at) {
        (Some(end), Some(start)) if end.date() == start.date() => {
            format!("{} cùng ngày", words::clock(end))
        }
        (Some(end), _) => format!("{}, {}", words::clock(end), words::long_date(end.date())),
        (None, _) => format!("{BLANK} giờ {BLANK} phút cùng ngày"),
    };
    blocks.push(Block::Paragraph(
        body(format!(
            "Cuộc họp kết thúc vào lúc {end}, nội dung cuộc họp đã được các thành viên dự họp \
             thông qua và cùng ký vào biên bản./."
        ))
        .keep_with_next(),
    ));
    blocks.push(Block::Space(6.0));
    let half = width / 2.0;
    blocks.push(Block::Columns(vec![
        signature(
            &["THƯ KÝ".to_owned()],
            "secretary",
            record.secretary.as_ref().map(|p| p.name.as_str()),
            half,
        ),
        signature(
            &["CHỦ TỌA".to_owned()],
            "chair",
            record.chair.as_ref().map(|p| p.name.as_str()),
            half,
        ),
    ]));
    blocks.push(Block::Space(12.0));
    blocks.extend(recipients(record));
    blocks.extend(audit(record));
    blocks
}

/// The trích yếu of the conclusions notice: "Kết luận của Chủ tịch tại phiên họp …".
pub fn conclusions_summary(record: &Record) -> String {
    let chair_title = one_line(&record.letterhead.chair_title);
    let who = if chair_title.is_empty() {
        "Chủ tọa".to_owned()
    } else {
        words::title_case(&chair_title)
    };
    format!(
        "Kết luận của {who} tại {}",
        words::in_sentence(&or_blank(&record.title))
    )
}

/// The thông báo kết luận.
pub fn conclusions(ts: &mut Typesetter<'_>, record: &Record, width: f32) -> Vec<Block> {
    let summary = conclusions_summary(record);
    let mut blocks = vec![header(
        ts,
        record,
        width,
        record.conclusions_number.as_deref(),
        "TB",
    )];
    blocks.extend(title(ts, "THÔNG BÁO", &summary, width));
    let when = record.started_at.map_or_else(
        || format!("Ngày {BLANK}"),
        |at| words::capitalise(&words::long_date(at.date())),
    );
    let place = record
        .location
        .as_deref()
        .map(one_line)
        .filter(|p| !p.is_empty())
        .map(|p| format!(", tại {p}"))
        .unwrap_or_default();
    let meeting = words::in_sentence(&or_blank(&record.title));
    let chair = record
        .chair
        .as_ref()
        .map(|p| one_line(&p.name))
        .filter(|n| !n.is_empty());
    let held = match chair {
        Some(chair) => format!("{chair} chủ trì {meeting}"),
        None => format!("đã diễn ra {meeting}"),
    };
    blocks.push(Block::Paragraph(body(format!(
        "{when}{place}, {held}. Sau khi nghe báo cáo và ý kiến phát biểu của các thành viên \
         dự họp, Chủ tọa kết luận như sau:"
    ))));
    for it in &record.items {
        let conclusion = paragraphs(&it.conclusion);
        if conclusion.is_empty() && !record.draft {
            continue;
        }
        blocks.push(Block::Paragraph(
            Paragraph::new(Align::Justify)
                .span(
                    format!("{}. {}", one_line(&it.number), or_blank(&it.title)),
                    bold(),
                )
                .first_indent(INDENT)
                .space_after(AFTER)
                .keep_with_next(),
        ));
        if conclusion.is_empty() {
            blocks.push(Block::Paragraph(
                Paragraph::new(Align::Justify)
                    .span("(Chưa có kết luận.)", style(Face::Italic, BODY))
                    .first_indent(INDENT)
                    .space_after(AFTER),
            ));
        }
        blocks.extend(conclusion.into_iter().map(|p| Block::Paragraph(body(p))));
    }
    blocks.push(Block::Paragraph(
        body(
            "Thông báo để các thành viên và cơ quan, đơn vị, cá nhân liên quan biết, thực \
             hiện./.",
        )
        .keep_with_next(),
    ));
    blocks.push(Block::Space(6.0));
    blocks.push(recipients_and_chair(record, width));
    blocks.extend(audit(record));
    blocks
}

/// Nơi nhận on the left, the chair's signature block on the right ("TM. ỦY BAN NHÂN DÂN /
/// CHỦ TỊCH"), as documents the chair signs for the body end.
pub(super) fn recipients_and_chair(record: &Record, width: f32) -> Block {
    let lh = &record.letterhead;
    let titles = [one_line(&lh.on_behalf).to_uppercase(), {
        let t = one_line(&lh.chair_title).to_uppercase();
        if t.is_empty() {
            "CHỦ TỌA".to_owned()
        } else {
            t
        }
    }];
    let left = (width * 0.45).round();
    Block::Columns(vec![
        Column {
            width: left,
            blocks: {
                let mut b = vec![Block::Space(4.0)];
                b.extend(recipients(record));
                b
            },
        },
        signature(
            &titles,
            "chair",
            record.chair.as_ref().map(|p| p.name.as_str()),
            width - left,
        ),
    ])
}
