//! Demo data for `serve --demo`: users with Vietnamese names, a demo meeting with its
//! agenda and draft polls, and last month's meeting with its finalised record (`record`).
//! Idempotent: what exists already is left as it is.

mod record;

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

/// Holds last month's meeting and finalises its record, once.
pub async fn seed_record(state: &crate::state::AppState) -> Result<(), ApiError> {
    let configured = state.settings.organization.clone();
    let Some(meeting) = state
        .db
        .write(move |c| record::hold(c, &configured))
        .await?
    else {
        return Ok(());
    };
    let clerk = state.db.read(|c| user_id(c, "thuky")).await?;
    let user = crate::auth::AuthUser {
        id: clerk,
        role: Role::Secretary,
        session_id: String::new(),
    };
    let (_, events) = crate::minutes::finalize::finalize(
        crate::minutes::finalize::Context {
            db: &state.db,
            files: &state.files,
            fonts: &state.fonts,
            configured: &state.settings.organization,
        },
        &meeting,
        &user,
    )
    .await?;
    state.bus.publish(events);
    Ok(())
}

fn user_id(conn: &mut DbConnection, username: &str) -> Result<String, ApiError> {
    users::find_by_username(conn, username)?
        .map(|u| u.id)
        .ok_or(ApiError::NotFound { what: "demo user" })
}

/// The demo meeting, scheduled for 08:00 (Vietnam) the day after it is first created.
/// The demo agenda's levels: items and sub-items.
const DEMO_AGENDA_DEPTH: usize = 2;

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
            kind: crate::meetings::written::Kind::Session,
            deadline: None,
            deadline_working_days: None,
            silence: None,
            from_agenda_item: None,
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
        let (parent, _) = agenda::add(conn, &meeting.id, item, DEMO_AGENDA_DEPTH)?;
        items.push(parent.id.clone());
        for child in *children {
            let sub = NewItem {
                title: (*child).to_owned(),
                parent_id: Some(parent.id.clone()),
                duration_minutes: None,
                presenter_id: None,
                notes: None,
            };
            agenda::add(conn, &meeting.id, sub, DEMO_AGENDA_DEPTH)?;
        }
    }
    for (title, item, secret, majority) in POLLS {
        let new = NewPoll {
            title: (*title).to_owned(),
            agenda_item_id: items.get(*item).cloned(),
            secret: *secret,
            options: None,
            majority: Some(*majority),
            quorum: None,
            allow_change: None,
            tie_break: None,
        };
        polls::create(conn, &meeting.id, new, *majority, &admin)?;
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
            email: None,
        };
        match create_user(db, body).await {
            // Another instance seeding the same database at once: fine.
            Ok(_) | Err(ApiError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A page or two of plausible text for each main agenda item's document.
fn demo_document_lines(number: usize, title: &str) -> Vec<crate::documents::book::Line> {
    use crate::documents::book::Line;
    let mut lines = vec![
        Line::new("ỦY BAN NHÂN DÂN XÃ CAM THỦY", 11.0, 0),
        Line::new(
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập – Tự do – Hạnh phúc",
            9.0,
            0,
        ),
        Line::new("", 9.0, 0),
        Line::new(&format!("Tài liệu số {number}/2026"), 11.0, 0),
        Line::new(title, 14.0, 0),
        Line::new("", 9.0, 0),
    ];
    let body = [
        "Căn cứ Luật Tổ chức chính quyền địa phương;",
        "Căn cứ Nghị quyết của Hội đồng nhân dân xã về nhiệm vụ năm 2026;",
        "Ủy ban nhân dân xã báo cáo như sau:",
        "I. Kết quả đạt được",
        "1. Các chỉ tiêu chủ yếu đều đạt và vượt kế hoạch đề ra.",
        "2. Thu ngân sách trên địa bàn ước đạt 104% dự toán năm.",
        "3. Tỷ lệ hồ sơ giải quyết trực tuyến đạt 87%, tăng 12% so với cùng kỳ.",
        "II. Tồn tại, hạn chế",
        "Một số công trình chậm tiến độ do thời tiết và vướng mắc giải phóng mặt bằng.",
        "III. Phương hướng, nhiệm vụ thời gian tới",
        "1. Tập trung hoàn thành các chỉ tiêu kinh tế – xã hội năm 2026.",
        "2. Đẩy mạnh chuyển đổi số, thanh toán không dùng tiền mặt.",
        "3. Bảo đảm quốc phòng, an ninh, trật tự an toàn xã hội.",
        "Kính trình Ủy ban nhân dân xã xem xét, cho ý kiến.",
    ];
    lines.extend(body.iter().map(|t| Line::new(t, 11.0, 0)));
    lines
}

/// Adds a generated PDF to each main agenda item of the demo meeting, once. The files are
/// checked and stored like uploads.
pub async fn seed_documents(state: &crate::state::AppState) -> Result<(), ApiError> {
    let found = state
        .db
        .read(|c| {
            let meeting: Option<String> = m::table
                .filter(m::title.eq(MEETING_TITLE))
                .select(m::id)
                .first(c)
                .optional()?;
            let Some(meeting) = meeting else {
                return Ok(None);
            };
            if !crate::documents::list(c, &meeting)?.is_empty() {
                return Ok(None);
            }
            let items: Vec<(String, String)> = agenda::tree(c, &meeting)?
                .into_iter()
                .map(|i| (i.id, i.title))
                .collect();
            Ok(Some((meeting, user_id(c, "thuky")?, items)))
        })
        .await?;
    let Some((meeting, secretary, items)) = found else {
        return Ok(());
    };
    for (number, (item_id, title)) in items.into_iter().enumerate() {
        let lines = demo_document_lines(number + 1, &title);
        let bytes = actix_web::web::block(move || crate::documents::book::text_pdf(&lines))
            .await
            .map_err(ApiError::internal)??;
        let file = state.files.ingest_bytes(&state.db, bytes).await?;
        let query = crate::documents::UploadQuery {
            title: title.chars().take(120).collect(),
            agenda_item_id: Some(item_id),
        };
        let (meeting, secretary) = (meeting.clone(), secretary.clone());
        state
            .commit(move |c| {
                crate::events::lock_meeting(c, &meeting)?;
                crate::documents::create(c, &meeting, &secretary, &query, &file)
            })
            .await?;
    }
    Ok(())
}
