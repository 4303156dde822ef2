//! Demo data for `serve --demo`: users with Vietnamese names and a demo meeting with its
//! agenda and draft polls. Idempotent: what exists already is left as it is.

use chrono::{Duration, NaiveTime, Utc};
use diesel::prelude::*;

use crate::agenda::{self, NewItem};
use crate::db::schema::meetings as m;
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::meetings::participants::{self, NewParticipant};
use crate::meetings::{self, MeetingRole, MeetingState, NewMeeting};
use crate::polls::{self, Majority, NewPoll};
use crate::users::handlers::{CreateUser, create_user};
use crate::users::{self, Role};

/// The password of every demo account (printed at start; demo data is not for production).
pub const DEMO_PASSWORD: &str = "demo1234";

/// A demo account: username, display name, system role, what it is for.
pub const ACCOUNTS: &[(&str, &str, Role, &str)] = &[
    (
        "admin",
        "Quản trị hệ thống",
        Role::Admin,
        "quản trị / administrator",
    ),
    (
        "thuky",
        "Trần Thị Thu",
        Role::Secretary,
        "thư ký / secretary",
    ),
    (
        "chutich",
        "Nguyễn Văn Hùng",
        Role::Member,
        "chủ tọa / chair",
    ),
    (
        "phochutich",
        "Lê Thị Mai",
        Role::Member,
        "thành viên / member",
    ),
    (
        "uyvien1",
        "Phạm Quốc Bảo",
        Role::Member,
        "thành viên / member",
    ),
    (
        "uyvien2",
        "Hoàng Thị Lan",
        Role::Member,
        "thành viên / member",
    ),
    (
        "uyvien3",
        "Võ Minh Tuấn",
        Role::Member,
        "thành viên / member",
    ),
    (
        "khachmoi",
        "Đặng Văn Nam",
        Role::Member,
        "khách mời / observer",
    ),
    (
        "duthay",
        "Ngô Văn Thành",
        Role::Member,
        "người dự thay cho uyvien3 / substitute",
    ),
];

/// The demo meeting's title; its presence tells that the meeting was created already.
pub const MEETING_TITLE: &str = "Phiên họp thường kỳ tháng 11/2026 — UBND xã Cam Thủy";

/// Participants of the demo meeting: username, meeting role, substitute's username.
const PARTICIPANTS: &[(&str, MeetingRole, Option<&str>)] = &[
    ("chutich", MeetingRole::Chair, None),
    ("thuky", MeetingRole::Secretary, None),
    ("phochutich", MeetingRole::Member, None),
    ("uyvien1", MeetingRole::Member, None),
    ("uyvien2", MeetingRole::Member, None),
    ("uyvien3", MeetingRole::Member, Some("duthay")),
    ("khachmoi", MeetingRole::Observer, None),
];

/// The agenda: title, minutes, presenter's username, sub-items.
type AgendaEntry = (&'static str, i32, &'static str, &'static [&'static str]);
const AGENDA: &[AgendaEntry] = &[
    (
        "Báo cáo tình hình kinh tế – xã hội tháng 11, phương hướng nhiệm vụ tháng 12",
        30,
        "phochutich",
        &[],
    ),
    (
        "Tờ trình dự toán ngân sách xã năm 2027",
        40,
        "uyvien1",
        &["Dự toán thu ngân sách", "Dự toán chi đầu tư phát triển"],
    ),
    (
        "Báo cáo kết quả thực hiện chuyển đổi số: thanh toán không dùng tiền mặt, dịch vụ công trực tuyến",
        20,
        "uyvien2",
        &[],
    ),
    (
        "Kế hoạch xây dựng xã nông thôn mới kiểu mẫu năm 2027",
        30,
        "uyvien3",
        &[],
    ),
    ("Các vấn đề khác", 15, "chutich", &[]),
];

/// Draft polls: title, index of the agenda item, secret, majority. Options are the default
/// `yes` / `no` / `abstain` (Tán thành / Không tán thành / Không biểu quyết).
const POLLS: &[(&str, usize, bool, Majority)] = &[
    (
        "Thông qua Tờ trình dự toán ngân sách xã năm 2027",
        1,
        false,
        Majority::Absolute,
    ),
    (
        "Thông qua Kế hoạch xây dựng xã nông thôn mới kiểu mẫu năm 2027 (bỏ phiếu kín)",
        3,
        true,
        Majority::Simple,
    ),
];

/// Creates the missing demo accounts and the demo meeting.
pub async fn seed(db: &Db) -> Result<(), ApiError> {
    seed_users(db).await?;
    db.write(seed_meeting).await
}

fn user_id(conn: &mut DbConnection, username: &str) -> Result<String, ApiError> {
    users::find_by_username(conn, username)?
        .map(|u| u.id)
        .ok_or(ApiError::NotFound { what: "demo user" })
}

/// The demo meeting, scheduled for 08:00 (Vietnam) the day after it is first created.
fn seed_meeting(conn: &mut DbConnection) -> Result<(), ApiError> {
    let exists: i64 = m::table
        .filter(m::title.eq(MEETING_TITLE))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let starts_at = tomorrow
        .and_time(NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default())
        .and_utc();
    let admin = user_id(conn, "admin")?;
    let (meeting, _) = meetings::create(
        conn,
        &admin,
        NewMeeting {
            title: MEETING_TITLE.to_owned(),
            starts_at,
            location: Some("Hội trường UBND xã".to_owned()),
            description: Some("Phiên họp thường kỳ của Ủy ban nhân dân xã.".to_owned()),
        },
    )?;
    for (username, role, substitute) in PARTICIPANTS {
        let substitute_id = substitute.map(|s| user_id(conn, s)).transpose()?;
        let new = NewParticipant {
            user_id: user_id(conn, username)?,
            role: *role,
            substitute_id,
        };
        participants::add(conn, &meeting.id, new)?;
    }
    let mut items = Vec::new();
    for (title, minutes, presenter, children) in AGENDA {
        let item = NewItem {
            title: (*title).to_owned(),
            parent_id: None,
            duration_minutes: Some(*minutes),
            presenter_id: Some(user_id(conn, presenter)?),
            notes: None,
        };
        let (parent, _) = agenda::add(conn, &meeting.id, item)?;
        items.push(parent.id.clone());
        for child in *children {
            let sub = NewItem {
                title: (*child).to_owned(),
                parent_id: Some(parent.id.clone()),
                duration_minutes: None,
                presenter_id: None,
                notes: None,
            };
            agenda::add(conn, &meeting.id, sub)?;
        }
    }
    for (title, item, secret, majority) in POLLS {
        let new = NewPoll {
            title: (*title).to_owned(),
            agenda_item_id: items.get(*item).cloned(),
            secret: *secret,
            options: None,
            majority: *majority,
            quorum: None,
            allow_change: false,
        };
        polls::create(conn, &meeting.id, new, &admin)?;
    }
    meetings::set_state(
        conn,
        &meeting.id,
        MeetingState::Draft,
        MeetingState::Scheduled,
    )?;
    Ok(())
}

async fn seed_users(db: &Db) -> Result<(), ApiError> {
    for (username, display_name, role, _) in ACCOUNTS {
        let name = (*username).to_owned();
        if db
            .read(move |c| users::find_by_username(c, &name))
            .await?
            .is_some()
        {
            continue;
        }
        let body = CreateUser {
            username: (*username).to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            role: *role,
            display_name: Some((*display_name).to_owned()),
        };
        match create_user(db, body).await {
            // Another instance seeding the same database at once: fine.
            Ok(_) | Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
