//! HTTP endpoints of the user directory.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{NewUser, Role, User, Username, validate_display_name, validate_password};
use crate::auth::{AuthUser, password};
use crate::db::Db;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    /// Defaults to the username.
    pub display_name: Option<String>,
    /// Where notifications are mailed (optional).
    #[serde(default)]
    pub email: Option<String>,
}

/// An admin's change of a user; absent fields stay, `"email": null` clears the address.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// Creates a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    security(("bearer" = [])),
    responses((status = 201, body = User), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let body = body.into_inner();
    let user = create_user(&state.db, body).await?;
    tracing::info!(user_id = %user.id, by = %caller.id, "user created");
    Ok(HttpResponse::Created().json(user))
}

/// Validates, hashes and stores a new user; shared by the API, the CLI and the demo data.
pub async fn create_user(db: &Db, body: CreateUser) -> Result<User, ApiError> {
    let username = Username::parse(&body.username)?;
    validate_password(&body.password)?;
    let display_name =
        validate_display_name(body.display_name.as_deref().unwrap_or(username.as_str()))?;
    let email = super::validate_email(body.email.as_deref())?;
    let password_hash = password::hash_blocking(body.password).await?;
    let new = NewUser {
        username,
        display_name,
        role: body.role,
        password_hash,
        email,
    };
    db.write(move |c| super::insert(c, new)).await
}

/// Lists all users (admins, secretaries, and meeting secretaries, to invite participants).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = UserList), (status = 403, body = Problem)))]
pub async fn list(state: web::Data<AppState>, caller: AuthUser) -> Result<HttpResponse, ApiError> {
    let staff = caller.role.is_staff();
    let users = state
        .db
        .read(move |c| {
            // A member who is some meeting's secretary invites participants, so sees the list.
            if !staff && !crate::meetings::participants::is_secretary_anywhere(c, &caller.id)? {
                return Err(ApiError::forbidden(
                    "forbidden",
                    "your role does not allow this",
                ));
            }
            super::list(c)
        })
        .await?;
    Ok(HttpResponse::Ok().json(UserList { users }))
}

/// Changes a user's e-mail address (admins).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    request_body = UserPatch, security(("bearer" = [])),
    responses((status = 200, body = User), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<String>,
    body: web::Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = path.into_inner();
    let patch = body.into_inner();
    let user = match patch.email {
        None => state.db.read(move |c| super::find(c, &id)).await?,
        Some(email) => {
            let email = super::validate_email(email.as_deref())?;
            state
                .db
                .write(move |c| super::set_email(c, &id, email.as_deref()))
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(user))
}
