//! The record's phrases in the words Vietnamese administrative documents use: dates in the
//! place-and-date line, clock times ("08 giờ 05 phút"), speaking times, poll results,
//! attendance notes, numbers. Shared by the PDF and the .docx so that both say the same.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use crate::minutes::record::{Absent, PollResult, Present};
use crate::typeset::text::one_line;

/// Printed where a value is not known yet (a preview).
pub const BLANK: &str = "…";

/// "ngày 08 tháng 12 năm 2026": days below 10 and the months January and February with a
/// leading zero (Nghị định 30/2020, Phụ lục I).
pub fn long_date(date: NaiveDate) -> String {
    let month = date.month();
    let month = if month <= 2 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("ngày {:02} tháng {month} năm {}", date.day(), date.year())
}

/// "Cam Thủy, ngày 08 tháng 12 năm 2026" (without a place: "Ngày 08 tháng 12 năm 2026").
pub fn place_and_date(place: &str, date: NaiveDate) -> String {
    let place = one_line(place);
    if place.is_empty() {
        capitalise(&long_date(date))
    } else {
        format!("{place}, {}", long_date(date))
    }
}

/// "08 giờ 05 phút".
pub fn clock(time: NaiveDateTime) -> String {
    format!("{:02} giờ {:02} phút", time.hour(), time.minute())
}

/// "3 phút 20 giây", "45 giây", "2 phút", "1 giờ 5 phút".
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} giờ"));
    }
    if m > 0 {
        parts.push(format!("{m} phút"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} giây"));
    }
    parts.join(" ")
}

/// "Số: 05/BB-UBND", or "Số: …/BB-UBND" before the record has a number.
pub fn number_line(number: Option<&str>, kind: &str, sign: &str) -> String {
    match number.map(one_line).filter(|n| !n.is_empty()) {
        Some(number) => format!("Số: {number}"),
        None => {
            let sign = one_line(sign);
            if sign.is_empty() {
                format!("Số: {BLANK}/{kind}")
            } else {
                format!("Số: {BLANK}/{kind}-{sign}")
            }
        }
    }
}

/// "Kết quả biểu quyết: Tán thành 5/7, Không tán thành 1/7, Không biểu quyết 1/7 — Quá nửa
/// tổng số thành viên — Thông qua."
pub fn poll_result(poll: &PollResult) -> String {
    let n = poll.of;
    let mut line = format!(
        "Kết quả biểu quyết: Tán thành {}/{n}, Không tán thành {}/{n}, Không biểu quyết {}/{n}",
        poll.for_motion, poll.against, poll.not_voting
    );
    for part in [&poll.majority, &poll.result] {
        let part = one_line(part);
        if !part.is_empty() {
            line.push_str(" — ");
            line.push_str(&part);
        }
    }
    line.push('.');
    line
}

/// What the attendance table notes of someone present: "Đến muộn lúc 08 giờ 15 phút; dự
/// thay Võ Minh Tuấn".
pub fn presence_note(present: &Present) -> String {
    let mut parts = Vec::new();
    if let Some(at) = present.late_at {
        parts.push(format!("đến muộn lúc {}", clock(at)));
    }
    if let Some(name) = present.substitute_for.as_deref().map(one_line)
        && !name.is_empty()
    {
        parts.push(format!("dự thay {name}"));
    }
    capitalise(&parts.join("; "))
}

/// "Võ Minh Tuấn: vắng có lý do (Đi công tác)".
pub fn absence(absent: &Absent) -> String {
    let kind = if absent.excused {
        "vắng có lý do"
    } else {
        "vắng không có lý do"
    };
    let reason = absent.reason.as_deref().map(one_line).unwrap_or_default();
    // The reason may only repeat the kind ("có lý do").
    let repeats = kind.ends_with(reason.to_lowercase().as_str());
    if reason.is_empty() || repeats {
        format!("{}: {kind}", one_line(&absent.name))
    } else {
        format!("{}: {kind} ({reason})", one_line(&absent.name))
    }
}

/// The first letter upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A title as it reads inside a sentence: "Phiên họp …" → "phiên họp …", but "UBND …" stays.
pub fn in_sentence(title: &str) -> String {
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(title.chars().skip(1)).collect()
        }
        _ => title.to_owned(),
    }
}

/// An upper-case title as it reads in a sentence: "CHỦ TỊCH" → "Chủ tịch", "PHÓ CHỦ TỊCH" →
/// "Phó Chủ tịch".
pub fn title_case(title: &str) -> String {
    let lower = one_line(title).to_lowercase();
    let phrase = capitalise(&lower);
    phrase.replacen("Phó chủ", "Phó Chủ", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap()
    }

    #[test]
    fn dates_follow_nghi_dinh_30() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            place_and_date("Cam Thủy", d(2026, 12, 8)),
            "Cam Thủy, ngày 08 tháng 12 năm 2026"
        );
        assert_eq!(long_date(d(2027, 2, 15)), "ngày 15 tháng 02 năm 2027");
        assert_eq!(long_date(d(2027, 3, 1)), "ngày 01 tháng 3 năm 2027");
        assert_eq!(
            place_and_date(" ", d(2027, 3, 1)),
            "Ngày 01 tháng 3 năm 2027"
        );
    }

    #[test]
    fn times_and_durations() {
        assert_eq!(clock(at(8, 5)), "08 giờ 05 phút");
        assert_eq!(duration(200), "3 phút 20 giây");
        assert_eq!(duration(45), "45 giây");
        assert_eq!(duration(120), "2 phút");
        assert_eq!(duration(3900), "1 giờ 5 phút");
        assert_eq!(duration(-3), "0 giây");
    }

    #[test]
    fn numbers() {
        assert_eq!(
            number_line(Some("05/BB-UBND"), "BB", "UBND"),
            "Số: 05/BB-UBND"
        );
        assert_eq!(number_line(None, "TB", "UBND"), "Số: …/TB-UBND");
        assert_eq!(number_line(Some(" "), "BB", ""), "Số: …/BB");
    }

    #[test]
    fn poll_results_read_as_the_decree_writes_them() {
        let poll = PollResult {
            title: "Thông qua dự toán".into(),
            secret: false,
            for_motion: 5,
            against: 1,
            not_voting: 1,
            of: 7,
            majority: "Quá nửa tổng số thành viên".into(),
            result: "Thông qua".into(),
        };
        assert_eq!(
            poll_result(&poll),
            "Kết quả biểu quyết: Tán thành 5/7, Không tán thành 1/7, Không biểu quyết 1/7 \
             — Quá nửa tổng số thành viên — Thông qua."
        );
    }

    #[test]
    fn attendance_notes() {
        let present = Present {
            name: "Ngô Văn Thành".into(),
            role: "Thành viên".into(),
            late_at: Some(at(8, 15)),
            substitute_for: Some("Võ Minh Tuấn".into()),
        };
        assert_eq!(
            presence_note(&present),
            "Đến muộn lúc 08 giờ 15 phút; dự thay Võ Minh Tuấn"
        );
        let absent = |reason: Option<&str>, excused| Absent {
            name: "Hoàng Thị Lan".into(),
            reason: reason.map(str::to_owned),
            excused,
        };
        assert_eq!(
            absence(&absent(Some("Đi công tác"), true)),
            "Hoàng Thị Lan: vắng có lý do (Đi công tác)"
        );
        assert_eq!(
            absence(&absent(Some("có lý do"), true)),
            "Hoàng Thị Lan: vắng có lý do"
        );
        assert_eq!(
            absence(&absent(None, false)),
            "Hoàng Thị Lan: vắng không có lý do"
        );
    }

    #[test]
    fn titles_in_sentences() {
        assert_eq!(in_sentence("Phiên họp thường kỳ"), "phiên họp thường kỳ");
        assert_eq!(in_sentence("UBND xã"), "UBND xã");
        assert_eq!(title_case("CHỦ TỊCH"), "Chủ tịch");
        assert_eq!(title_case("PHÓ CHỦ TỊCH"), "Phó Chủ tịch");
    }
}
