//! Records to render without a meeting: the demo meeting of UBND xã Cam Thủy as a finished
//! record, and a large one (40 participants, 30 items, 20 polls, 60 speeches, long notes) for
//! the layout's limits and the benchmark. Used by tests and benches.

use chrono::{NaiveDate, NaiveDateTime};

use crate::minutes::record::{
    Absent, Attendance, Consultation, Item, Letterhead, MemberAnswer, Person, PollResult, Present,
    Question, Record, Speech,
};

fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .and_then(|d| d.and_hms_opt(h, m, 0))
        .unwrap_or_default()
}

/// The letterhead of UBND xã Cam Thủy.
pub fn letterhead() -> Letterhead {
    Letterhead {
        parent: "UBND huyện Cam Lộ".into(),
        name: "UBND xã Cam Thủy".into(),
        sign: "UBND".into(),
        place: "Cam Thủy".into(),
        recipients: vec![
            "Thường trực Đảng ủy xã".into(),
            "Thường trực HĐND xã".into(),
            "Các thành viên UBND xã".into(),
        ],
        on_behalf: "TM. Ủy ban nhân dân".into(),
        chair_title: "Chủ tịch".into(),
    }
}

fn present(name: &str, role: &str) -> Present {
    Present {
        name: name.into(),
        role: role.into(),
        late_at: None,
        substitute_for: None,
    }
}

fn poll(title: &str, counts: (i64, i64, i64), of: i64, result: &str) -> PollResult {
    PollResult {
        title: title.into(),
        secret: false,
        for_motion: counts.0,
        against: counts.1,
        not_voting: counts.2,
        of,
        majority: "Quá nửa tổng số thành viên".into(),
        result: result.into(),
    }
}

/// The demo meeting's record, finalised.
pub fn demo() -> Record {
    let mut substitute = present("Ngô Văn Thành", "Thành viên");
    substitute.substitute_for = Some("Võ Minh Tuấn".into());
    let mut late = present("Hoàng Thị Lan", "Thành viên");
    late.late_at = Some(at(27, 8, 17));
    Record {
        letterhead: letterhead(),
        minutes_number: Some("05/BB-UBND".into()),
        conclusions_number: Some("06/TB-UBND".into()),
        date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default(),
        title: "Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy".into(),
        location: Some("Hội trường UBND xã".into()),
        started_at: Some(at(27, 8, 0)),
        ended_at: Some(at(27, 11, 5)),
        chair: Some(Person {
            name: "Nguyễn Văn Hùng".into(),
        }),
        secretary: Some(Person {
            name: "Trần Thị Thu".into(),
        }),
        attendance: Attendance {
            expected: 9,
            present: vec![
                present("Nguyễn Văn Hùng", "Chủ tọa"),
                present("Trần Thị Thu", "Thư ký"),
                present("Lê Thị Mai", "Thành viên"),
                present("Phạm Quốc Bảo", "Thành viên"),
                late,
                substitute,
                present("Đặng Văn Nam", "Khách mời"),
            ],
            absent: vec![
                Absent {
                    name: "Võ Minh Tuấn".into(),
                    reason: Some("Đi công tác".into()),
                    excused: true,
                },
                Absent {
                    name: "Đỗ Thị Hạnh".into(),
                    reason: None,
                    excused: false,
                },
            ],
        },
        opening: "Đồng chí Nguyễn Văn Hùng, Chủ tịch UBND xã, khai mạc phiên họp, nêu mục \
                  đích, yêu cầu và chương trình phiên họp."
            .into(),
        closing: "Phiên họp đã hoàn thành toàn bộ chương trình đề ra.".into(),
        items: vec![
            Item {
                number: "1".into(),
                title: "Báo cáo tình hình kinh tế – xã hội tháng 11, phương hướng nhiệm vụ \
                        tháng 12"
                    .into(),
                presenter: Some("Lê Thị Mai".into()),
                notes: "Tình hình kinh tế – xã hội tháng 11 tiếp tục ổn định; thu ngân sách \
                        đạt 92% dự toán năm. Sản xuất vụ đông được triển khai đúng lịch thời vụ.\n\n\
                        Một số tồn tại: tiến độ giải ngân vốn đầu tư công còn chậm; công tác \
                        thu gom rác thải ở các thôn chưa thường xuyên."
                    .into(),
                conclusion: "Thống nhất với báo cáo; giao Văn phòng UBND xã hoàn chỉnh, trình \
                             HĐND xã tại kỳ họp cuối năm."
                    .into(),
                speeches: vec![
                    Speech {
                        name: "Phạm Quốc Bảo".into(),
                        seconds: Some(200),
                    },
                    Speech {
                        name: "Hoàng Thị Lan".into(),
                        seconds: Some(95),
                    },
                ],
                polls: vec![],
                documents: vec!["Báo cáo KT-XH tháng 11/2026".into()],
            },
            Item {
                number: "2".into(),
                title: "Tờ trình dự toán ngân sách xã năm 2027".into(),
                presenter: Some("Phạm Quốc Bảo".into()),
                notes: "Tổng thu ngân sách dự kiến 12,4 tỷ đồng; chi đầu tư phát triển 3,1 \
                        tỷ đồng."
                    .into(),
                conclusion: "Thông qua dự toán; trình HĐND xã quyết định.".into(),
                speeches: vec![Speech {
                    name: "Ngô Văn Thành".into(),
                    seconds: Some(140),
                }],
                polls: vec![poll(
                    "Thông qua dự toán ngân sách xã năm 2027",
                    (5, 1, 1),
                    7,
                    "Thông qua",
                )],
                documents: vec![
                    "Tờ trình dự toán ngân sách 2027".into(),
                    "Phụ lục chi đầu tư phát triển".into(),
                ],
            },
            Item {
                number: "3".into(),
                title: "Báo cáo kết quả thực hiện chuyển đổi số: thanh toán không dùng tiền \
                        mặt, dịch vụ công trực tuyến"
                    .into(),
                presenter: Some("Hoàng Thị Lan".into()),
                notes: "Tỷ lệ hồ sơ dịch vụ công trực tuyến toàn trình đạt 64%.".into(),
                conclusion: "Giao công chức Văn phòng – Thống kê đẩy mạnh hướng dẫn người \
                             dân nộp hồ sơ trực tuyến."
                    .into(),
                speeches: vec![],
                polls: vec![{
                    let mut p = poll(
                        "Kế hoạch chuyển đổi số năm 2027",
                        (3, 3, 1),
                        7,
                        "Không thông qua",
                    );
                    p.secret = true;
                    p
                }],
                documents: vec![],
            },
        ],
        audit_head: Some((
            412,
            "9f2c4e7a1b3d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8".into(),
        )),
        draft: false,
        consultation: None,
    }
}

/// A large record: 40 participants, 30 items, 20 polls, 60 speeches, one item with 20,000
/// characters of notes, one 300-character word.
pub fn large() -> Record {
    let mut record = demo();
    let given = ["Văn", "Thị", "Quốc", "Minh", "Thu", "Đức", "Ngọc", "Hữu"];
    let family = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ",
    ];
    let last = [
        "Hùng", "Mai", "Bảo", "Lan", "Tuấn", "Nam", "Thành", "Hạnh", "Dũng",
    ];
    let name = |i: usize| {
        format!(
            "{} {} {}",
            family[i % family.len()],
            given[i / family.len() % given.len()],
            last[i % last.len()]
        )
    };
    record.attendance.expected = 44;
    record.attendance.present = (0..40)
        .map(|i| {
            let mut p = present(
                &name(i),
                if i == 0 {
                    "Chủ tọa"
                } else {
                    "Thành viên"
                },
            );
            if i % 7 == 3 {
                p.late_at = Some(at(27, 8, 10 + i as u32));
            }
            if i % 11 == 5 {
                p.substitute_for = Some(name(i + 100));
            }
            p
        })
        .collect();
    record.attendance.absent = (40..44)
        .map(|i| Absent {
            name: name(i),
            reason: Some("Đi công tác theo kế hoạch của huyện".into()),
            excused: i % 2 == 0,
        })
        .collect();
    let sentence = "Ủy ban nhân dân xã đã thảo luận kỹ lưỡng, thống nhất cao các nội dung \
                    trình tại phiên họp và giao các bộ phận chuyên môn tổ chức thực hiện. ";
    let mut polls_left = 20;
    let mut speeches_left = 60;
    record.items = (0..30)
        .map(|i| {
            let notes: String = match i {
                0 => sentence
                    .repeat(20_000 / sentence.chars().count() + 1)
                    .chars()
                    .take(20_000)
                    .collect(),
                1 => format!("Mã tham chiếu: {}. {sentence}", "Đ".repeat(300)),
                _ => sentence.repeat(1 + i % 4),
            };
            let polls = if polls_left > 0 && i % 3 != 2 {
                polls_left -= 1;
                vec![poll(
                    &format!("Biểu quyết nội dung số {}", i + 1),
                    (30, 6, 4),
                    40,
                    "Thông qua",
                )]
            } else {
                vec![]
            };
            let mut speeches = Vec::new();
            for k in 0..2 {
                if speeches_left > 0 {
                    speeches_left -= 1;
                    speeches.push(Speech {
                        name: name(i * 2 + k),
                        seconds: Some(60 + (i * 37 + k * 11) as i64 % 300),
                    });
                }
            }
            Item {
                number: (i + 1).to_string(),
                title: format!(
                    "Nội dung {} của phiên họp: {}",
                    i + 1,
                    "báo cáo và tờ trình"
                ),
                presenter: Some(name(i + 3)),
                notes,
                conclusion: format!("Kết luận nội dung {}: {sentence}", i + 1),
                speeches,
                polls,
                documents: vec![format!("Tài liệu của nội dung {}", i + 1)],
            }
        })
        .collect();
    record
}

fn answer(
    name: &str,
    answer: &str,
    at: Option<NaiveDateTime>,
    comment: Option<&str>,
) -> MemberAnswer {
    MemberAnswer {
        name: name.into(),
        answer: answer.into(),
        at,
        comment: comment.map(Into::into),
    }
}

/// A meeting held in writing, closed: seven members asked one question by 17:00 on 4/12,
/// four agreed, one disagreed, one answered "Ý kiến khác" with a comment, one did not answer
/// and is deemed to agree.
pub fn written() -> Record {
    let mut record = demo();
    record.title = "Xin ý kiến về chủ trương đầu tư sửa chữa Trường Mầm non xã Cam Thủy".into();
    record.minutes_number = Some("03/BC-UBND".into());
    record.conclusions_number = None;
    record.items.clear();
    record.opening.clear();
    record.closing.clear();
    record.consultation = Some(Consultation {
        sent_at: Some(at(28, 8, 0)),
        deadline: Some(
            NaiveDate::from_ymd_opt(2026, 12, 4)
                .and_then(|d| d.and_hms_opt(17, 0, 0))
                .unwrap_or_default(),
        ),
        closed_at: Some(
            NaiveDate::from_ymd_opt(2026, 12, 4)
                .and_then(|d| d.and_hms_opt(17, 0, 0))
                .unwrap_or_default(),
        ),
        silence_agrees: true,
        asked: 7,
        questions: vec![Question {
            title: "Đồng ý chủ trương đầu tư sửa chữa Trường Mầm non xã (1,2 tỷ đồng)".into(),
            secret: false,
            answers: vec![
                answer("Hoàng Thị Lan", "Đồng ý", Some(at(28, 9, 12)), None),
                answer("Lê Văn Bình", "Đồng ý", Some(at(29, 14, 3)), None),
                answer(
                    "Ngô Văn Thành",
                    "Ý kiến khác",
                    Some(at(30, 10, 45)),
                    Some("Đề nghị bổ sung dự toán phần mái che sân chơi trước khi phê duyệt."),
                ),
                answer("Nguyễn Văn An", "Đồng ý", Some(at(28, 8, 30)), None),
                answer(
                    "Phạm Thị Hoa",
                    "Không đồng ý",
                    Some(at(29, 16, 20)),
                    Some("Chưa cân đối được nguồn vốn năm 2027."),
                ),
                answer("Trần Thị Mai", "Đồng ý", Some(at(30, 7, 55)), None),
                answer("Võ Minh Tuấn", "Coi như đồng ý", None, None),
            ],
            counts: vec![
                ("Đồng ý".into(), 4),
                ("Không đồng ý".into(), 1),
                ("Ý kiến khác".into(), 1),
            ],
            deemed: 1,
            silent: 0,
            of: 7,
            majority: "Quá nửa tổng số thành viên".into(),
            result: "Thông qua".into(),
            tie_broken_by_chair: false,
        }],
    });
    record
}
