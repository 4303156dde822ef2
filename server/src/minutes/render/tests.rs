use lopdf::content::Content;
use lopdf::{Document, Object};

use super::samples;
use super::*;
use crate::typeset::layout::Draw;

fn fonts() -> Fonts {
    Fonts::load(None)
}

/// Every text origin (Tm) of every page, in PDF space, with the page number.
fn text_origins(bytes: &[u8]) -> Vec<(u32, f32, f32)> {
    let doc = Document::load_mem(bytes).unwrap();
    let mut out = Vec::new();
    for (number, id) in doc.get_pages() {
        let content = Content::decode(&doc.get_page_content(id)).unwrap();
        for op in content.operations {
            if op.operator == "Tm" {
                let n: Vec<f32> = op.operands.iter().map(|o| o.as_float().unwrap()).collect();
                out.push((number, n[4], n[5]));
            }
        }
    }
    out
}

/// The texts the fonts' ToUnicode maps give, all fonts together.
fn mapped_text(bytes: &[u8]) -> String {
    let doc = Document::load_mem(bytes).unwrap();
    let mut out = String::new();
    for object in doc.objects.values() {
        if let Object::Stream(stream) = object {
            let content = stream
                .decompressed_content()
                .unwrap_or(stream.content.clone());
            let text = String::from_utf8_lossy(&content);
            if text.contains("beginbfchar") {
                for line in text.lines().filter(|l| l.starts_with('<')) {
                    if let Some(hex) = line.split_whitespace().nth(1) {
                        let hex = hex.trim_matches(['<', '>']);
                        let units: Vec<u16> = (0..hex.len() / 4)
                            .map(|i| u16::from_str_radix(&hex[i * 4..i * 4 + 4], 16).unwrap())
                            .collect();
                        out.push_str(&String::from_utf16_lossy(&units));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_demo_minutes_are_a_pdf_with_two_signature_rooms() {
    let rendered = minutes_pdf_with_boxes(&samples::demo(), &fonts()).unwrap();
    assert!(rendered.bytes.starts_with(b"%PDF-1.7"));
    let doc = Document::load_mem(&rendered.bytes).unwrap();
    assert_eq!(doc.get_pages().len() as u32, rendered.pages);
    assert!((2..=4).contains(&rendered.pages), "{}", rendered.pages);
    let blocks: Vec<_> = rendered.signature_boxes.iter().map(|b| b.block).collect();
    assert_eq!(blocks, vec!["secretary", "chair"]);
    let [secretary, chair] = [&rendered.signature_boxes[0], &rendered.signature_boxes[1]];
    assert_eq!(secretary.page, chair.page);
    assert!(secretary.rect[2] <= chair.rect[0], "secretary on the left");
    let height = chair.rect[3] - chair.rect[1];
    assert!((height - nd30::ROOM_HEIGHT).abs() < 0.01, "{height}");
    assert!(chair.rect[1] >= Frame::a4_nd30().bottom - 0.01);
    // No text is drawn inside a room.
    for (page, x, y) in text_origins(&rendered.bytes) {
        for b in &rendered.signature_boxes {
            let inside = page == b.page
                && x > b.rect[0]
                && x < b.rect[2]
                && y > b.rect[1] + 1.0
                && y < b.rect[3] - 1.0;
            assert!(!inside, "text at {x},{y} in the {} room", b.block);
        }
    }
}

#[test]
fn the_same_record_gives_the_same_bytes() {
    let fonts = fonts();
    let a = minutes_pdf(&samples::demo(), &fonts).unwrap();
    let b = minutes_pdf(&samples::demo(), &fonts).unwrap();
    assert_eq!(a, b);
    let mut other = samples::demo();
    other.items[0].notes.push_str(" Thêm.");
    assert_ne!(a, minutes_pdf(&other, &fonts).unwrap());
}

#[test]
fn nothing_leaves_the_body_of_a_large_record() {
    // Liberation Serif where installed, and DejaVu Serif (wider) as on a host without it.
    for fonts in [fonts(), Fonts::dejavu()] {
        large_record_stays_in_the_body(&fonts);
    }
}

fn large_record_stays_in_the_body(fonts: &Fonts) {
    let record = samples::large();
    let mut ts = Typesetter::new(fonts).unwrap();
    let frame = Frame::a4_nd30();
    let blocks = nd30::minutes(&mut ts, &record, frame.body_width());
    let mut headers = Vec::new();
    let slabs = ts.slabs(
        &blocks,
        frame.left,
        frame.body_width(),
        frame.body_height(),
        &mut headers,
    );
    let pages = crate::typeset::page::paginate(slabs, &headers, &frame);
    assert!((15..=80).contains(&pages.len()), "{} pages", pages.len());
    let right = frame.width - frame.right + 0.05;
    for (n, page) in pages.iter().enumerate() {
        assert!(!page.draws.is_empty(), "page {} is empty", n + 1);
        for draw in &page.draws {
            match draw {
                Draw::Text {
                    x, y, width, size, ..
                } => {
                    assert!(*x >= frame.left - 0.01, "page {}: x {x}", n + 1);
                    assert!(x + width <= right, "page {}: ends at {}", n + 1, x + width);
                    assert!(y - size * 0.9 >= frame.top - 0.01, "page {}: y {y}", n + 1);
                    assert!(
                        y + size * 0.25 <= frame.height - frame.bottom + 0.01,
                        "page {}: y {y}",
                        n + 1
                    );
                }
                Draw::Line { x1, x2, y1, y2, .. } => {
                    for x in [x1, x2] {
                        assert!(*x >= frame.left - 0.5 && *x <= right + 0.5);
                    }
                    for y in [y1, y2] {
                        assert!(*y >= frame.top - 0.5 && *y <= frame.height - frame.bottom + 0.5);
                    }
                }
            }
        }
    }

    // The written PDF: every text origin on its page, a number on every page but the first.
    let rendered = minutes_pdf_with_boxes(&record, fonts).unwrap();
    assert_eq!(rendered.pages as usize, pages.len());
    let origins = text_origins(&rendered.bytes);
    for (page, x, y) in &origins {
        assert!(
            (0.0..=frame.width).contains(x) && (0.0..=frame.height).contains(y),
            "page {page}: {x},{y}"
        );
    }
    let in_top_margin = |page: u32| {
        origins
            .iter()
            .any(|(p, _, y)| *p == page && *y > frame.height - frame.top)
    };
    assert!(!in_top_margin(1), "no page number on page 1");
    for page in 2..=rendered.pages {
        assert!(in_top_margin(page), "page number on page {page}");
    }
    // The signatures are on one page, after everything but the recipients and the audit.
    let last = rendered
        .signature_boxes
        .iter()
        .map(|b| b.page)
        .max()
        .unwrap();
    assert!(last >= rendered.pages - 1);
}

#[test]
fn a_draft_is_marked_on_every_page() {
    let fonts = fonts();
    let mut record = samples::large();
    record.items.truncate(4);
    record.draft = true;
    let bytes = minutes_pdf(&record, &fonts).unwrap();
    let doc = Document::load_mem(&bytes).unwrap();
    assert!(doc.get_pages().len() >= 2);
    for (number, id) in doc.get_pages() {
        let content = String::from_utf8_lossy(&doc.get_page_content(id)).into_owned();
        assert!(
            content.starts_with("q 0.85 g BT"),
            "page {number}: {}",
            &content[..40]
        );
    }
    record.draft = false;
    let bytes = minutes_pdf(&record, &fonts).unwrap();
    let doc = Document::load_mem(&bytes).unwrap();
    for (_, id) in doc.get_pages() {
        assert!(!String::from_utf8_lossy(&doc.get_page_content(id)).contains("0.85 g"));
    }
}

#[test]
fn emoji_chinese_and_control_characters_do_not_break_the_pdf() {
    let fonts = fonts();
    let mut record = samples::demo();
    record.items[0].title = "Ý kiến 😀 người dân 中文 ✓".into();
    record.items[0].notes = "Ghi chú\u{0}\u{7}\u{1b}[0m có ký tự điều khiển\u{202e} và 🎉.".into();
    record.attendance.present[2].name = "Lê\u{8} Thị Mai".into();
    let bytes = minutes_pdf(&record, &fonts).unwrap();
    Document::load_mem(&bytes).unwrap();
    let mapped = mapped_text(&bytes);
    assert!(mapped.contains('✓'), "✓ from DejaVu Sans");
    assert!(mapped.contains('\u{FFFD}'), "emoji and Chinese shown as �");
    assert!(
        !mapped.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{mapped:?}"
    );
    assert!(mapped.contains('ễ') || mapped.contains('ệ'));
}

#[test]
fn the_conclusions_notice_has_one_signature_room_and_its_number() {
    let fonts = fonts();
    let rendered = conclusions_pdf_with_boxes(&samples::demo(), &fonts).unwrap();
    let blocks: Vec<_> = rendered.signature_boxes.iter().map(|b| b.block).collect();
    assert_eq!(blocks, vec!["chair"]);
    let chair = &rendered.signature_boxes[0];
    assert!(
        chair.rect[0] > Frame::a4_nd30().width / 2.0 - 60.0,
        "on the right"
    );
    let summary = nd30::conclusions_summary(&samples::demo());
    assert_eq!(
        summary,
        "Kết luận của Chủ tịch tại phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy"
    );
    let mut untitled = samples::demo();
    untitled.letterhead.chair_title.clear();
    assert!(nd30::conclusions_summary(&untitled).starts_with("Kết luận của Chủ tọa tại"));
}

#[test]
fn the_docx_holds_the_same_content() {
    let mut record = samples::demo();
    record.items[0].notes = "Thu & chi <ngân sách> \"2027\"\u{1}.".into();
    let bytes = minutes_docx(&record).unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip");
    let docx = docx_rs::read_docx(&bytes).unwrap();
    let json = docx.json();
    for expected in [
        "BIÊN BẢN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 05/BB-UBND",
        "Võ Minh Tuấn",
        "Tán thành 5/7",
        "Times New Roman",
        "Thu & chi <ngân sách>",
    ] {
        assert!(json.contains(expected), "{expected} missing from the docx");
    }
}

#[test]
fn nothing_but_a_preview_number_before_finalising() {
    let fonts = fonts();
    let mut record = samples::demo();
    record.minutes_number = None;
    record.started_at = None;
    record.ended_at = None;
    record.chair = None;
    record.audit_head = None;
    let blocks = nd30::minutes(
        &mut Typesetter::new(&fonts).unwrap(),
        &record,
        Frame::a4_nd30().body_width(),
    );
    let text: String = flatten(&blocks);
    assert!(text.contains("Số: …/BB-UBND"), "{text}");
    assert!(text.contains("kết thúc vào lúc … giờ … phút"));
    assert!(!text.contains("Chuỗi kiểm toán"));
    minutes_pdf(&record, &fonts).unwrap();
}

fn flatten(blocks: &[crate::typeset::layout::Block]) -> String {
    use crate::typeset::layout::Block;
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph(p) => {
                out.push_str(&p.text());
                out.push('\n');
            }
            Block::Columns(columns) => {
                for c in columns {
                    out.push_str(&flatten(&c.blocks));
                }
            }
            Block::Table(t) => {
                for row in std::iter::once(&t.header).chain(&t.rows) {
                    for cell in row {
                        out.push_str(&cell.text());
                        out.push('\t');
                    }
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn an_empty_record_and_an_overlong_letterhead_still_render() {
    let fonts = fonts();
    let mut record = samples::demo();
    record.letterhead = crate::minutes::record::Letterhead {
        parent: String::new(),
        name: String::new(),
        sign: String::new(),
        place: String::new(),
        recipients: vec![],
        on_behalf: String::new(),
        chair_title: String::new(),
    };
    record.title.clear();
    record.items.clear();
    record.attendance.present.clear();
    record.attendance.absent.clear();
    record.opening.clear();
    record.closing.clear();
    let rendered = minutes_pdf_with_boxes(&record, &fonts).unwrap();
    assert_eq!(rendered.signature_boxes.len(), 2);
    conclusions_pdf(&record, &fonts).unwrap();
    minutes_docx(&record).unwrap();

    // A letterhead longer than a page: the header is cut between lines, nothing overflows.
    record.letterhead.name = "ỦY BAN NHÂN DÂN XÃ CAM THỦY ".repeat(150);
    record.letterhead.recipients = vec!["Thường trực HĐND xã".into(); 80];
    let rendered = conclusions_pdf_with_boxes(&record, &fonts).unwrap();
    assert!(rendered.pages >= 3, "{}", rendered.pages);
    let frame = Frame::a4_nd30();
    for (page, x, y) in text_origins(&rendered.bytes) {
        assert!(
            x >= frame.left - 0.01 && y >= frame.bottom - 0.01 && y <= frame.height,
            "page {page}: {x},{y}"
        );
    }
}

#[test]
fn the_summary_of_a_written_meeting_names_every_answer_and_the_chair_signs_it() {
    let fonts = fonts();
    let record = samples::written();
    let rendered = record_pdf(&record, &fonts).unwrap();
    let blocks: Vec<_> = rendered.signature_boxes.iter().map(|b| b.block).collect();
    assert_eq!(blocks, vec!["chair"], "one signature: the chair's");
    let text = flatten(&summary::summary(
        &mut Typesetter::new(&fonts).unwrap(),
        &record,
        Frame::a4_nd30().body_width(),
    ));
    for expected in [
        "Số: 03/BC-UBND",
        "BÁO CÁO",
        "Tổng hợp ý kiến thành viên về chủ trương đầu tư sửa chữa",
        "Thực hiện Quy chế làm việc, ngày 28 tháng 11 năm 2026 UBND xã Cam Thủy đã gửi",
        "đến 7 thành viên",
        "Thời hạn trả lời: 17 giờ 00 phút, ngày 04 tháng 12 năm 2026",
        "được coi như đồng ý",
        "Võ Minh Tuấn\tCoi như đồng ý",
        "Ngô Văn Thành\tÝ kiến khác\t30/11/2026 10:45\tĐề nghị bổ sung dự toán",
        "Đồng ý: 5/7 (trong đó coi như đồng ý: 1); Không đồng ý: 1/7; Ý kiến khác: 1/7; Không trả lời: 0/7.",
        "Thông qua (quá nửa tổng số thành viên).",
        "TM. ỦY BAN NHÂN DÂN",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // The .docx of a written meeting is its summary too.
    let json = docx_rs::read_docx(&minutes_docx(&record).unwrap())
        .unwrap()
        .json();
    assert!(json.contains("BÁO CÁO") && json.contains("Coi như đồng ý"));
    assert!(!json.contains("BIÊN BẢN"));
}

#[test]
fn a_summary_preview_waits_for_the_result_and_notes_a_tie_the_chair_broke() {
    let mut record = samples::written();
    let mut q = record.consultation.as_ref().unwrap().questions[0].clone();
    assert_eq!(
        summary::result_line(&q),
        "Thông qua (quá nửa tổng số thành viên)."
    );
    q.tie_broken_by_chair = true;
    assert!(summary::result_line(&q).contains("ngang nhau, quyết định theo ý kiến của Chủ tịch"));
    q.result.clear();
    assert_eq!(summary::result_line(&q), "… (đang lấy ý kiến).");
    q.deemed = 0;
    q.silent = 1;
    assert!(summary::counts_line(&q).starts_with("Đồng ý: 4/7; "));
    assert!(summary::counts_line(&q).ends_with("Không trả lời: 1/7."));
    // A preview: no number, no times yet.
    record.minutes_number = None;
    if let Some(c) = record.consultation.as_mut() {
        c.sent_at = None;
        c.deadline = None;
        c.closed_at = None;
    }
    let fonts = fonts();
    let text = flatten(&summary::summary(
        &mut Typesetter::new(&fonts).unwrap(),
        &record,
        Frame::a4_nd30().body_width(),
    ));
    assert!(text.contains("Số: …/BC-UBND"), "{text}");
    assert!(text.contains("Thời hạn trả lời: … giờ … phút"), "{text}");
}

#[test]
fn the_subject_does_not_repeat_the_asking() {
    assert_eq!(
        summary::subject("Xin ý kiến về Chủ trương đầu tư"),
        "chủ trương đầu tư"
    );
    assert_eq!(
        summary::subject("Lấy ý kiến về dự thảo Quy chế"),
        "dự thảo Quy chế"
    );
    assert_eq!(
        summary::subject("Phương án phòng chống lụt bão"),
        "phương án phòng chống lụt bão"
    );
    assert_eq!(summary::subject("Xin ý kiến về "), "xin ý kiến về");
    assert_eq!(summary::subject(""), "…");
}
