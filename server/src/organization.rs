//! The organisation the server serves (an Ủy ban nhân dân, a department): the rules and
//! names it sets for all its meetings. Its default majority (configuration only), which a poll
//! takes when it names none, and the names its documents print (Nghị định 30/2020: cơ quan
//! chủ quản, cơ quan, ký hiệu, địa danh, nơi nhận), from the configuration until an admin saves
//! others here; saved names are in the database so every instance prints the same.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::config::OrganizationSettings;
use crate::db::schema::organization_settings as o;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::polls::Majority;
use crate::state::AppState;
use crate::users::Role;

/// The one organisation a server serves; the register of document numbers is kept under it.
pub const ID: &str = "default";

/// What every signed-in user may read of the organisation's settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organization {
    /// The majority of a poll created without one (`polls.default_majority`).
    pub default_majority: Majority,
    #[serde(flatten)]
    pub names: OrganizationSettings,
}

/// An admin's change of the names; absent fields stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub parent: Option<String>,
    pub name: Option<String>,
    pub sign: Option<String>,
    pub place: Option<String>,
    pub recipients: Option<Vec<String>>,
    pub on_behalf: Option<String>,
    pub chair_title: Option<String>,
    pub utc_offset_minutes: Option<i32>,
}

const NAME_MAX: usize = 200;
const RECIPIENTS_MAX: usize = 30;

/// The names in force: the saved ones, else the configuration's.
pub fn names(
    conn: &mut DbConnection,
    configured: &OrganizationSettings,
) -> Result<OrganizationSettings, ApiError> {
    let saved: Option<String> = o::table.find(ID).select(o::data).first(conn).optional()?;
    match saved {
        Some(text) => serde_json::from_str(&text).map_err(ApiError::internal),
        None => Ok(configured.clone()),
    }
}

/// A text that may be empty (a parent body, a place not yet set), one line, bounded.
fn optional_line(value: &str, code: &'static str, what: &str) -> Result<String, ApiError> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        crate::patch::line(value, NAME_MAX, code, what)
    }
}

/// Applies `patch` to `current`, refusing what a document could not print.
pub fn apply(
    mut current: OrganizationSettings,
    patch: OrganizationPatch,
) -> Result<OrganizationSettings, ApiError> {
    const CODE: &str = "invalid_organization";
    if let Some(v) = patch.parent {
        current.parent = optional_line(&v, CODE, "parent")?;
    }
    if let Some(v) = patch.name {
        current.name = crate::patch::line(&v, NAME_MAX, CODE, "name")?;
    }
    if let Some(v) = patch.sign {
        let sign = crate::patch::line(&v, 20, CODE, "sign")?;
        if sign.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(ApiError::invalid(
                CODE,
                "sign is the short sign in a number (UBND): no spaces or slashes",
            ));
        }
        current.sign = sign;
    }
    if let Some(v) = patch.place {
        current.place = optional_line(&v, CODE, "place")?;
    }
    if let Some(list) = patch.recipients {
        if list.len() > RECIPIENTS_MAX {
            return Err(ApiError::invalid(
                CODE,
                format!("at most {RECIPIENTS_MAX} recipients"),
            ));
        }
        current.recipients = list
            .iter()
            .map(|r| crate::patch::line(r, NAME_MAX, CODE, "a recipient"))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = patch.on_behalf {
        current.on_behalf = optional_line(&v, CODE, "on_behalf")?;
    }
    if let Some(v) = patch.chair_title {
        current.chair_title = optional_line(&v, CODE, "chair_title")?;
    }
    if let Some(v) = patch.utc_offset_minutes {
        if !(-12 * 60..=14 * 60).contains(&v) {
            return Err(ApiError::invalid(
                CODE,
                "utc_offset_minutes must be between -720 and 840",
            ));
        }
        current.utc_offset_minutes = v;
    }
    Ok(current)
}

/// Saves the names in force.
pub fn save(
    conn: &mut DbConnection,
    names: &OrganizationSettings,
    user_id: &str,
) -> Result<(), ApiError> {
    let data = serde_json::to_string(names).map_err(ApiError::internal)?;
    let now = db::now();
    diesel::delete(o::table.find(ID)).execute(conn)?;
    diesel::insert_into(o::table)
        .values((
            o::id.eq(ID),
            o::data.eq(&data),
            o::updated_by.eq(user_id),
            o::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The organisation's settings that tablets show and documents print.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    responses((status = 200, body = Organization), (status = 401, body = Problem)))]
pub async fn get(state: web::Data<AppState>, _user: AuthUser) -> Result<HttpResponse, ApiError> {
    let configured = state.settings.organization.clone();
    let names = state.db.read(move |c| names(c, &configured)).await?;
    Ok(HttpResponse::Ok().json(Organization {
        default_majority: state.settings.polls.default_majority,
        names,
    }))
}

/// Changes the names the organisation's documents print (admins).
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    request_body = OrganizationPatch,
    responses((status = 200, body = Organization), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<OrganizationPatch>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let configured = state.settings.organization.clone();
    let names = state
        .db
        .write(move |c| {
            let names = apply(names(c, &configured)?, body.into_inner())?;
            save(c, &names, &user.id)?;
            Ok(names)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization {
        default_majority: state.settings.polls.default_majority,
        names,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_changes_only_what_it_names_and_refuses_what_cannot_print() {
        let base = OrganizationSettings::default();
        let changed = apply(
            base.clone(),
            OrganizationPatch {
                place: Some("  Cam Thủy ".into()),
                recipients: Some(vec!["Thường trực Đảng ủy xã".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(changed.place, "Cam Thủy");
        assert_eq!(changed.recipients, ["Thường trực Đảng ủy xã"]);
        assert_eq!(changed.sign, base.sign);
        for bad in [
            OrganizationPatch {
                sign: Some("UB ND".into()),
                ..Default::default()
            },
            OrganizationPatch {
                name: Some("UBND\nXÃ".into()),
                ..Default::default()
            },
            OrganizationPatch {
                name: Some(" ".into()),
                ..Default::default()
            },
            OrganizationPatch {
                utc_offset_minutes: Some(24 * 60),
                ..Default::default()
            },
            OrganizationPatch {
                recipients: Some(vec!["x".into(); 31]),
                ..Default::default()
            },
        ] {
            assert_eq!(
                apply(base.clone(), bad).unwrap_err().code(),
                "invalid_organization"
            );
        }
    }
}
