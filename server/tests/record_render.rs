//! The meeting's record as a reader gets it: the PDFs read back with poppler (`pdftotext`,
//! `pdffonts`, `pdftoppm`) and the .docx opened with python-docx, as Word-like tools and
//! people would. Needs poppler-utils and python-docx (scripts/install-tools.sh); without them
//! the checks are skipped with a message, except under CI, where they fail.
//!
//! `ECABINET_SCREENSHOTS=docs/screenshots cargo test --test record_render` also writes the
//! first page of the biên bản as minutes-page1.png there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ecabinet::minutes::render::{self, Fonts, samples};

/// Whether `tool` runs; under CI a missing tool fails the test.
fn have(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing (scripts/install-tools.sh installs it)"
        );
        eprintln!("skipped: {tool} is not installed (scripts/install-tools.sh installs it)");
    }
    ok
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Text as pdftotext gives it, with runs of white space as one space (table cells and
/// wrapped lines come out on lines of their own).
fn pdf_text(path: &Path) -> String {
    let raw = run("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_minutes_read_back_with_every_name_count_and_the_audit_head() {
    if !have("pdftotext", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = samples::demo();
    let fonts = Fonts::load(None);
    let pdf = write(
        dir.path(),
        "minutes.pdf",
        &render::minutes_pdf(&record, &fonts).unwrap(),
    );
    let text = pdf_text(&pdf);
    let mut expected = vec![
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".to_owned(),
        "Độc lập - Tự do - Hạnh phúc".to_owned(),
        "Số: 05/BB-UBND".to_owned(),
        "UBND XÃ CAM THỦY".to_owned(),
        "Cam Thủy, ngày 27 tháng 11 năm 2026".to_owned(),
        "BIÊN BẢN".to_owned(),
        "có mặt 7/9 người".to_owned(),
        "Đến muộn lúc 08 giờ 17 phút".to_owned(),
        "Phạm Quốc Bảo (3 phút 20 giây)".to_owned(),
        "Cuộc họp kết thúc vào lúc 11 giờ 05 phút cùng ngày".to_owned(),
        "THƯ KÝ".to_owned(),
        "CHỦ TỌA".to_owned(),
        "Nơi nhận:".to_owned(),
        "- Lưu: VT.".to_owned(),
    ];
    expected.extend(record.attendance.present.iter().map(|p| p.name.clone()));
    expected.extend(record.attendance.absent.iter().map(|a| a.name.clone()));
    for poll in record.items.iter().flat_map(|i| &i.polls) {
        let n = poll.of;
        expected.push(format!(
            "Tán thành {}/{n}, Không tán thành {}/{n}, Không biểu quyết {}/{n}",
            poll.for_motion, poll.against, poll.not_voting
        ));
    }
    let (seq, hash) = record.audit_head.clone().unwrap();
    expected.push(format!("Chuỗi kiểm toán: seq {seq}, SHA-256 {hash}"));
    for e in &expected {
        assert!(
            text.contains(e.as_str()),
            "{e:?} not in the PDF's text:\n{text}"
        );
    }
}

#[test]
fn the_conclusions_notice_reads_back() {
    if !have("pdftotext", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = samples::demo();
    let pdf = write(
        dir.path(),
        "conclusions.pdf",
        &render::conclusions_pdf(&record, &Fonts::load(None)).unwrap(),
    );
    let text = pdf_text(&pdf);
    for e in [
        "Số: 06/TB-UBND",
        "THÔNG BÁO",
        "Kết luận của Chủ tịch tại phiên họp thường kỳ tháng 11/2026",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Nguyễn Văn Hùng",
        "Thông qua dự toán; trình HĐND xã quyết định.",
    ] {
        assert!(text.contains(e), "{e:?} not in:\n{text}");
    }
}

#[test]
fn every_font_is_embedded_as_a_subset_with_unicode() {
    if !have("pdffonts", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut record = samples::demo();
    record.items[0].title.push_str(" ✓ 😀");
    let pdf = write(
        dir.path(),
        "minutes.pdf",
        &render::minutes_pdf(&record, &Fonts::load(None)).unwrap(),
    );
    let listing = run("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    // Regular, bold, italic, bold italic and the fallback face.
    assert!(rows.len() >= 5, "{listing}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            &["yes", "yes", "yes"],
            "emb, sub, uni: {row}"
        );
        assert!(row.contains("CID TrueType"), "{row}");
    }
}

#[test]
fn no_word_of_a_large_record_leaves_the_page_body() {
    if !have("pdftotext", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fonts = Fonts::load(None);
    let rendered = render::minutes_pdf_with_boxes(&samples::large(), &fonts).unwrap();
    let pdf = write(dir.path(), "large.pdf", &rendered.bytes);
    let html = run(
        "pdftotext",
        &["-bbox", "-enc", "UTF-8", pdf.to_str().unwrap(), "-"],
    );
    // Word boxes are top-down; the body is 30 mm from the left, 15 mm from the right, the page
    // number alone is in the top margin. Glyph boxes reach a little above the ascender.
    let (left, right, bottom) = (85.04 - 1.0, 595.28 - 42.52 + 1.0, 841.89 - 56.69 + 4.0);
    let mut words = 0;
    let mut pages = 0;
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page") {
            pages += 1;
        }
        if !line.starts_with("<word") {
            continue;
        }
        words += 1;
        let attr = |name: &str| -> f32 {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + line[start..].find('"').unwrap();
            line[start..end].parse().unwrap()
        };
        let (x0, x1, y1) = (attr("xMin"), attr("xMax"), attr("yMax"));
        assert!(
            x0 >= left && x1 <= right && y1 <= bottom,
            "page {pages}: {line}"
        );
    }
    assert_eq!(pages, rendered.pages);
    assert!(words > 5000, "{words} words");
}

#[test]
fn emoji_and_chinese_keep_the_text_around_them() {
    if !have("pdftotext", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut record = samples::demo();
    record.items[1].notes = "Trước 😀🎉 giữa 中文字 sau ✓ hết.".into();
    let pdf = write(
        dir.path(),
        "emoji.pdf",
        &render::minutes_pdf(&record, &Fonts::load(None)).unwrap(),
    );
    let text = pdf_text(&pdf);
    assert!(text.contains("Trước"), "{text}");
    assert!(text.contains("giữa"));
    assert!(text.contains("sau ✓ hết."), "{text}");
    // DejaVu Sans has the emoticons; no face has Chinese: it shows as �.
    assert!(text.contains('😀'), "{text}");
    assert!(!text.contains('中') && text.contains('\u{FFFD}'), "{text}");
}

#[test]
fn page_one_renders_as_a_picture() {
    if !have("pdftoppm", &["-v"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fonts = Fonts::load(None);
    let pdf = write(
        dir.path(),
        "minutes.pdf",
        &render::minutes_pdf(&samples::demo(), &fonts).unwrap(),
    );
    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png = std::fs::read(dir.path().join("page.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    // A4 at 60 dpi: 496 (or 497, rounding) × 702 pixels (IHDR width and height).
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(
        (496..=497).contains(&width) && height == 702,
        "{width}×{height}"
    );
    if let Some(out) = std::env::var_os("ECABINET_SCREENSHOTS") {
        std::fs::write(Path::new(&out).join("minutes-page1.png"), &png).unwrap();
    }
}

#[test]
fn the_docx_opens_in_python_docx() {
    let probe = Command::new("python3")
        .args(["-c", "import docx"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !probe {
        assert!(
            std::env::var_os("CI").is_none(),
            "python-docx is missing (pip install python-docx)"
        );
        eprintln!("skipped: python3 with python-docx is not installed (pip install python-docx)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = samples::demo();
    let path = write(
        dir.path(),
        "minutes.docx",
        &render::minutes_docx(&record).unwrap(),
    );
    let script = r#"
import sys, docx
d = docx.Document(sys.argv[1])
texts = [p.text for p in d.paragraphs]
def cells(tables):
    for t in tables:
        for row in t.rows:
            for c in row.cells:
                yield from (p.text for p in c.paragraphs)
                yield from cells(c.tables)
texts += list(cells(d.tables))
s = d.sections[0]
print("PAGE", s.page_width.mm.__round__(), s.page_height.mm.__round__(), s.left_margin.mm.__round__(), s.right_margin.mm.__round__(), s.top_margin.mm.__round__())
fonts = {r.font.name for p in d.paragraphs for r in p.runs if r.font.name}
print("FONTS", sorted(fonts))
print("\n".join(texts))
"#;
    let out = run("python3", &["-c", script, path.to_str().unwrap()]);
    assert!(out.contains("PAGE 210 297 30 15 20"), "{out}");
    for e in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: 05/BB-UBND",
        "BIÊN BẢN",
        "Nguyễn Văn Hùng",
        "Võ Minh Tuấn: vắng có lý do (Đi công tác)",
        "Tán thành 5/7, Không tán thành 1/7, Không biểu quyết 1/7",
        "Cuộc họp kết thúc vào lúc 11 giờ 05 phút cùng ngày",
    ] {
        assert!(out.contains(e), "{e:?} not in the docx:\n{out}");
    }
}
