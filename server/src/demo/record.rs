//! The demo's past meeting: last month's session, held and closed, with its notes, speeches,
//! votes and its finalised record (biên bản and thông báo kết luận), so that a newcomer sees a
//! record at once. Everything goes through the same domain functions as a real meeting; only
//! the times are moved back to when the meeting would have been held.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use crate::agenda::{self, NewItem};
use crate::attendance::{self, Mark, Status};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::db::schema::{meetings as m, participants as pa, speakers as s};
use crate::error::ApiError;
use crate::meetings::access;
use crate::meetings::participants::{self, NewParticipant};
use crate::meetings::{self, MeetingRole, MeetingState, NewMeeting};
use crate::minutes::{self, ItemPatch, MinutesPatch};
use crate::polls::{self, Majority, NewPoll, ballots};
use crate::speakers::{self, NewRequest, SpeakerState};
use crate::users::Role;

use super::user_id;

/// The past meeting's title; its presence tells that it was seeded already.
pub const TITLE: &str = "Phiên họp thường kỳ tháng 10/2026 — UBND xã Cam Thủy";

/// The organisation's names the demo prints (kept when an admin saved others).
fn names() -> crate::config::OrganizationSettings {
    crate::config::OrganizationSettings {
        parent: String::new(),
        name: "ỦY BAN NHÂN DÂN XÃ CAM THỦY".into(),
        sign: "UBND".into(),
        place: "Cam Thủy".into(),
        recipients: vec![
            "Thường trực Đảng ủy xã".into(),
            "Thường trực HĐND xã".into(),
            "Các thành viên UBND xã".into(),
        ],
        on_behalf: "TM. ỦY BAN NHÂN DÂN".into(),
        chair_title: "CHỦ TỊCH".into(),
        utc_offset_minutes: 7 * 60,
    }
}

/// Item: title, presenter, the secretary's notes, the chair's conclusion, a poll's title.
type ItemEntry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);
const ITEMS: &[ItemEntry] = &[
    (
        "Báo cáo tình hình kinh tế – xã hội tháng 10, phương hướng nhiệm vụ tháng 11",
        "phochutich",
        "Đồng chí Lê Thị Mai, Phó Chủ tịch UBND xã, trình bày báo cáo. Thu ngân sách 10 tháng \
         đạt 86% dự toán; tỷ lệ hồ sơ trực tuyến đạt 84%.\n\nCác thành viên thống nhất với báo \
         cáo, đề nghị bổ sung số liệu về giải ngân vốn đầu tư công.",
        "Thống nhất thông qua báo cáo. Giao Văn phòng UBND xã bổ sung số liệu giải ngân trước \
         ngày 05/11/2026.",
        Some("Thông qua Báo cáo tình hình kinh tế – xã hội tháng 10"),
    ),
    (
        "Kế hoạch tổ chức Ngày hội Đại đoàn kết toàn dân tộc năm 2026",
        "uyvien2",
        "Đồng chí Hoàng Thị Lan trình bày dự thảo kế hoạch; kinh phí dự kiến từ nguồn xã hội hóa.",
        "Thống nhất kế hoạch; giao Ủy ban MTTQ xã chủ trì phối hợp các thôn tổ chức.",
        Some("Thông qua Kế hoạch tổ chức Ngày hội Đại đoàn kết"),
    ),
    (
        "Các vấn đề khác",
        "chutich",
        "Thảo luận công tác phòng chống lụt bão cuối năm.",
        "Giao các thôn rà soát phương án sơ tán dân trước ngày 15/11/2026.",
        None,
    ),
];

fn staff(conn: &mut DbConnection, username: &str, role: Role) -> Result<AuthUser, ApiError> {
    Ok(AuthUser {
        id: user_id(conn, username)?,
        role,
        session_id: String::new(),
    })
}

/// Holds the meeting; answers its id, or None when it exists already. The demo's names are
/// saved only when neither an admin nor the configuration (`configured`) named the
/// organisation.
pub fn hold(
    conn: &mut DbConnection,
    configured: &crate::config::OrganizationSettings,
) -> Result<Option<String>, ApiError> {
    let exists: i64 = m::table
        .filter(m::title.eq(TITLE))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(None);
    }
    let unnamed = crate::config::OrganizationSettings::default();
    if *configured == unnamed && crate::organization::names(conn, configured)? == unnamed {
        let admin = user_id(conn, "admin")?;
        crate::organization::save(conn, &names(), &admin)?;
    }
    let admin = staff(conn, "admin", Role::Admin)?;
    let chair = staff(conn, "chutich", Role::Member)?;
    let clerk = staff(conn, "thuky", Role::Secretary)?;
    let day = NaiveDate::from_ymd_opt(2026, 10, 28).unwrap_or_default();
    // 08:00 in Vietnam.
    let start: NaiveDateTime = day.and_time(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default());
    let (meeting, _) = meetings::create(
        conn,
        &admin.id,
        NewMeeting {
            kind: crate::meetings::written::Kind::Session,
            deadline: None,
            deadline_working_days: None,
            silence: None,
            from_agenda_item: None,
            title: TITLE.to_owned(),
            starts_at: start.and_utc(),
            location: Some("Hội trường UBND xã".to_owned()),
            description: Some("Phiên họp thường kỳ của Ủy ban nhân dân xã.".to_owned()),
        },
    )?;
    let id = meeting.id.clone();
    for (username, role) in [
        ("chutich", MeetingRole::Chair),
        ("thuky", MeetingRole::Secretary),
        ("phochutich", MeetingRole::Member),
        ("uyvien1", MeetingRole::Member),
        ("uyvien2", MeetingRole::Member),
        ("uyvien3", MeetingRole::Member),
        ("khachmoi", MeetingRole::Observer),
    ] {
        let user = user_id(conn, username)?;
        participants::add(
            conn,
            &id,
            NewParticipant {
                user_id: user,
                role,
                substitute_id: None,
            },
        )?;
    }
    let mut items = Vec::new();
    for (title, presenter, ..) in ITEMS {
        let presenter = user_id(conn, presenter)?;
        let (item, _) = agenda::add(
            conn,
            &id,
            NewItem {
                title: (*title).to_owned(),
                parent_id: None,
                duration_minutes: Some(30),
                presenter_id: Some(presenter),
                notes: None,
            },
            super::DEMO_AGENDA_DEPTH,
        )?;
        items.push(item.id);
    }
    meetings::set_state(conn, &id, MeetingState::Draft, MeetingState::Scheduled)?;
    meetings::set_state(conn, &id, MeetingState::Scheduled, MeetingState::Live)?;
    let chair_access = access::load(conn, &id, &chair)?;
    for username in [
        "chutich",
        "thuky",
        "phochutich",
        "uyvien1",
        "uyvien2",
        "khachmoi",
    ] {
        let user = user_id(conn, username)?;
        attendance::mark(
            conn,
            &chair_access,
            Mark {
                user_id: user,
                status: Status::Present,
                reason: None,
            },
        )?;
    }
    let away = user_id(conn, "uyvien3")?;
    attendance::mark(
        conn,
        &chair_access,
        Mark {
            user_id: away,
            status: Status::Absent,
            reason: Some("Đi công tác theo Quyết định của UBND tỉnh".into()),
        },
    )?;

    for (index, (_, _, _, _, poll)) in ITEMS.iter().enumerate() {
        for speaker in ["uyvien1", "phochutich"].iter().take(2 - index.min(1)) {
            let who = staff(conn, speaker, Role::Member)?;
            let who_access = access::load(conn, &id, &who)?;
            let (request, _) = speakers::request(
                conn,
                &who_access,
                NewRequest {
                    agenda_item_id: Some(items[index].clone()),
                },
            )?;
            for state in [SpeakerState::Speaking, SpeakerState::Done] {
                speakers::set_state(conn, &chair_access, &request.id, state, 300)?;
            }
        }
        if let Some(title) = poll {
            let (created, _) = polls::create(
                conn,
                &id,
                NewPoll {
                    title: (*title).to_owned(),
                    agenda_item_id: Some(items[index].clone()),
                    secret: false,
                    options: None,
                    majority: Some(Majority::AbsoluteAll),
                    quorum: None,
                    allow_change: None,
                    tie_break: None,
                },
                Majority::AbsoluteAll,
                &chair.id,
            )?;
            let row = polls::get(conn, &created.id)?;
            polls::open(conn, &chair_access, row)?;
            let mut requests = Vec::new();
            for (username, choice) in [
                ("chutich", "yes"),
                ("phochutich", "yes"),
                ("uyvien1", "yes"),
                ("uyvien2", if index == 0 { "yes" } else { "abstain" }),
            ] {
                requests.push(ballots::BallotRequest {
                    poll_id: created.id.clone(),
                    user: staff(conn, username, Role::Member)?,
                    choice: choice.to_owned(),
                    key: None,
                    comment: None,
                });
            }
            ballots::cast_batch(conn, &requests)?;
            let row = polls::get(conn, &created.id)?;
            polls::close(conn, row)?;
        }
    }
    meetings::set_state(conn, &id, MeetingState::Live, MeetingState::Closed)?;

    let clerk_access = access::load(conn, &id, &clerk)?;
    minutes::update(
        conn,
        &clerk_access,
        MinutesPatch {
            version: 0,
            opening: Some(
                "Đúng 8 giờ 00, đồng chí Nguyễn Văn Hùng, Chủ tịch UBND xã, khai mạc phiên họp và \
                 nêu nội dung, chương trình làm việc."
                    .into(),
            ),
            closing: Some("Phiên họp kết thúc lúc 10 giờ 45 cùng ngày.".into()),
            items: ITEMS
                .iter()
                .zip(&items)
                .map(|((_, _, notes, conclusion, _), item)| ItemPatch {
                    agenda_item_id: item.clone(),
                    notes: Some((*notes).to_owned()),
                    conclusion: Some((*conclusion).to_owned()),
                })
                .collect(),
        },
        usize::MAX,
    )?;

    // The meeting as it was held: 08:00 to 10:45 (Vietnam), speeches of a few minutes each.
    diesel::update(m::table.find(&id))
        .set((
            m::started_at.eq(Some(start)),
            m::ended_at.eq(Some(start + Duration::minutes(165))),
        ))
        .execute(conn)?;
    diesel::update(
        pa::table
            .filter(pa::meeting_id.eq(&id))
            .filter(pa::attendance.eq("present")),
    )
    .set(pa::checked_in_at.eq(Some(start - Duration::minutes(10))))
    .execute(conn)?;
    let speeches: Vec<String> = s::table
        .filter(s::meeting_id.eq(&id))
        .order(s::requested_at.asc())
        .select(s::id)
        .load(conn)?;
    for (i, speech) in speeches.iter().enumerate() {
        let from = start + Duration::minutes(20 + 35 * i as i64);
        diesel::update(s::table.find(speech))
            .set((
                s::started_at.eq(Some(from)),
                s::ended_at.eq(Some(from + Duration::seconds(140 + 45 * i as i64))),
            ))
            .execute(conn)?;
    }
    Ok(Some(id))
}
