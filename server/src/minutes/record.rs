//! The meeting's record as the documents show it: everything the biên bản and the thông báo
//! kết luận print, already gathered from the meeting and put in local time. Rendering is a
//! pure function of this (`render`), so the layout is testable without a database.

use chrono::{NaiveDate, NaiveDateTime};

/// The names the organisation prints at the head of its documents (Nghị định 30/2020).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// Cơ quan chủ quản, e.g. "UBND HUYỆN CAM LỘ"; may be empty.
    pub parent: String,
    /// Cơ quan ban hành, e.g. "UBND XÃ CAM THỦY".
    pub name: String,
    /// Its short sign in numbers, e.g. "UBND" (→ "05/BB-UBND").
    pub sign: String,
    /// Địa danh, e.g. "Cam Thủy".
    pub place: String,
    /// Nơi nhận: each entry as printed after "- " (the renderer adds "- Lưu: VT.").
    pub recipients: Vec<String>,
    /// The body the chair signs for in the conclusions notice ("TM. ỦY BAN NHÂN DÂN"), and
    /// the chair's title beneath it ("CHỦ TỊCH"); both may be empty.
    pub on_behalf: String,
    pub chair_title: String,
}

/// One person as the record names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
}

/// Someone present: checked in, perhaps late, perhaps in another's seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Present {
    pub name: String,
    /// The role in the meeting, in Vietnamese ("Chủ tọa", "Thư ký", "Thành viên", "Khách mời").
    pub role: String,
    /// Checked in after the meeting started: the local time of the check-in.
    pub late_at: Option<NaiveDateTime>,
    /// Attending in place of this participant (người dự họp thay).
    pub substitute_for: Option<String>,
}

/// Someone expected who did not come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent {
    pub name: String,
    /// "có lý do" / "không lý do", or the reason given ("Đi công tác").
    pub reason: Option<String>,
    pub excused: bool,
}

/// Attendance: present x of y.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    /// Every participant expected (y), observers and guests included.
    pub expected: usize,
    pub present: Vec<Present>,
    pub absent: Vec<Absent>,
}

/// A speech, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    pub name: String,
    /// How long they spoke, when it ended.
    pub seconds: Option<i64>,
}

/// What a decided poll printed: Tán thành a/n, Không tán thành b/n, Không biểu quyết c/n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollResult {
    pub title: String,
    pub secret: bool,
    /// Ballots for the motion (the first option).
    pub for_motion: i64,
    /// Ballots for any other option but abstain.
    pub against: i64,
    /// Those who could vote and did not, plus the abstentions.
    pub not_voting: i64,
    /// n: how many the counts are of (the meeting's voting members for `absolute_all`,
    /// the eligible voters otherwise).
    pub of: i64,
    /// The rule in words: "Quá nửa tổng số thành viên", "Đa số phiếu", …
    pub majority: String,
    /// The result in words: "Thông qua" / "Không thông qua" / "Không đủ số lượng".
    pub result: String,
}

/// One agenda item with what was said and decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// "1", "2", "2.1": its number in the agenda.
    pub number: String,
    pub title: String,
    pub presenter: Option<String>,
    /// The secretary's notes (plain text, paragraphs separated by blank lines).
    pub notes: String,
    /// The chair's conclusion.
    pub conclusion: String,
    pub speeches: Vec<Speech>,
    pub polls: Vec<PollResult>,
    /// Titles of the item's documents.
    pub documents: Vec<String>,
}

/// Everything the two documents print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub letterhead: Letterhead,
    /// "05/BB-UBND" once finalised; None in a preview (printed as "…/BB-UBND").
    pub minutes_number: Option<String>,
    /// "06/TB-UBND" once finalised; None in a preview.
    pub conclusions_number: Option<String>,
    /// The date the documents carry (local): the day of finalising, or today in a preview.
    pub date: NaiveDate,
    /// The meeting's title: the trích yếu ("Phiên họp thường kỳ tháng 12/2026 …").
    pub title: String,
    pub location: Option<String>,
    /// Local times, from the meeting's state changes.
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub chair: Option<Person>,
    pub secretary: Option<Person>,
    pub attendance: Attendance,
    /// The secretary's opening and closing paragraphs.
    pub opening: String,
    pub closing: String,
    pub items: Vec<Item>,
    /// The meeting's audit chain head when the record was made: (seq, hash hex).
    pub audit_head: Option<(i64, String)>,
    /// A preview, not the final record: the renderer marks every page "DỰ THẢO".
    pub draft: bool,
    /// A meeting held in writing: its record is the summary of answers (báo cáo tổng hợp ý
    /// kiến) instead of a biên bản; `minutes_number` is then its "…/BC-…" number.
    pub consultation: Option<Consultation>,
}

/// What the summary of a meeting held in writing prints besides the letterhead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    /// Local times: when the questions were sent (the first opened), the deadline, and when
    /// the meeting closed.
    pub sent_at: Option<NaiveDateTime>,
    pub deadline: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Whether a member who did not answer counts as agreeing (coi như đồng ý).
    pub silence_agrees: bool,
    /// The voting members asked.
    pub asked: usize,
    pub questions: Vec<Question>,
}

/// One question (a poll of the written meeting) with every member's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub title: String,
    pub secret: bool,
    /// Every member asked, in name order.
    pub answers: Vec<MemberAnswer>,
    /// Answers per option in the poll's order, in words ("Đồng ý", n), deemed ones apart.
    pub counts: Vec<(String, i64)>,
    /// Members who did not answer and count as agreeing.
    pub deemed: i64,
    /// Members who did not answer and count as nothing.
    pub silent: i64,
    /// How many the counts are of (every member asked for `absolute_all`).
    pub of: i64,
    pub majority: String,
    /// "Thông qua" / "Không thông qua"; empty while the question is still open (a preview).
    pub result: String,
    /// The votes were even and the chair's answer decided.
    pub tie_broken_by_chair: bool,
}

/// A member's answer as the summary prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAnswer {
    pub name: String,
    /// In words: "Đồng ý", "Không đồng ý", "Ý kiến khác", "Coi như đồng ý", "Không trả lời",
    /// or "Đã trả lời (phiếu kín)".
    pub answer: String,
    /// When the (last) answer came, local; none for a secret poll or no answer.
    pub at: Option<NaiveDateTime>,
    pub comment: Option<String>,
}
