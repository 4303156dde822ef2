//! Demo data for `serve --demo`: users with Vietnamese names (and, as the meeting domain
//! grows, a demo meeting). Idempotent: what exists already is left as it is.

use crate::db::Db;
use crate::error::ApiError;
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
];

/// Creates the missing demo accounts.
pub async fn seed(db: &Db) -> Result<(), ApiError> {
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
