//! Annotations: ink, highlights and notes on a (document, version, page), with coordinates as
//! fractions of the page. Private to their author unless shared with the meeting; replies on
//! shared notes. Owns the `annotations` and `annotation_replies` tables, the rules of their
//! content (`rules`), their carry-forward to a document's new version, what the live channel is
//! told about them (`notify`) and their export as PDF annotation objects (`export`).
//!
//! Must never: show anything of another user's private annotation, by any endpoint or event
//! (not even that it exists: 404, never 403); write a private annotation into the meeting's
//! durable event log; drop an annotation because its document changed.

pub mod export;
pub mod handlers;
pub mod notify;
pub mod rules;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::config::AnnotationSettings;
use crate::db::schema::{annotation_replies as r, annotations as a, users as u};
use crate::db::{self, DbConnection};
use crate::documents::DocumentRow;
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::meetings::MeetingRole;
use crate::meetings::access::Access;
use rules::{Announce, Data, Kind};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct AnnotationRow {
    pub id: String,
    pub document_id: String,
    pub meeting_id: String,
    pub document_version: i32,
    pub page: i32,
    pub kind: String,
    pub shared: bool,
    pub orphaned: bool,
    pub author_id: String,
    pub data: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct ReplyRow {
    pub id: String,
    pub annotation_id: String,
    pub author_id: String,
    pub text: String,
    pub created_at: NaiveDateTime,
}

/// A reply to a shared note.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reply {
    pub id: String,
    pub user_id: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

impl From<ReplyRow> for Reply {
    fn from(row: ReplyRow) -> Self {
        Self {
            id: row.id,
            user_id: row.author_id,
            text: row.text,
            created_at: row.created_at.and_utc(),
        }
    }
}

/// An annotation as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Annotation {
    pub id: String,
    pub document_id: String,
    /// The document version it is anchored to (the latest: annotations move forward).
    pub document_version: i32,
    /// Page number, from 1.
    pub page: i32,
    pub kind: Kind,
    pub shared: bool,
    /// True when the page no longer exists in the anchored version; kept, never dropped.
    pub orphaned: bool,
    /// The author.
    pub user_id: String,
    /// Revision, for optimistic concurrency: a PATCH names the one it edits.
    pub version: i32,
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
    /// Replies, on notes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<Reply>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Annotation {
    fn from_row(row: AnnotationRow, replies: Option<Vec<Reply>>) -> Result<Self, ApiError> {
        let kind = Kind::parse(&row.kind).map_err(|_| {
            ApiError::internal(anyhow::anyhow!("stored annotation kind {:?}", row.kind))
        })?;
        Ok(Self {
            data: RawValue::from_string(row.data).map_err(ApiError::internal)?,
            replies: if kind == Kind::Note {
                Some(replies.unwrap_or_default())
            } else {
                None
            },
            id: row.id,
            document_id: row.document_id,
            document_version: row.document_version,
            page: row.page,
            kind,
            shared: row.shared,
            orphaned: row.orphaned,
            user_id: row.author_id,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        })
    }
}

/// `{"annotations":[…]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnnotationList {
    pub annotations: Vec<Annotation>,
}

/// A new annotation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAnnotation {
    /// Chosen by the client to make retries safe; the server picks one when absent.
    pub id: Option<String>,
    pub page: i32,
    /// `ink`, `highlight` or `note`.
    pub kind: String,
    #[serde(default)]
    pub shared: bool,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The version the client annotates; must be the latest (409 `stale_document_version`).
    pub document_version: Option<i32>,
}

/// A change to an annotation; `version` is the revision it edits.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnotationPatch {
    pub version: i32,
    pub page: Option<i32>,
    pub shared: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// Filters of a listing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only annotations anchored to this document version.
    pub version: Option<i32>,
    /// Only this page.
    pub page: Option<i32>,
}

/// A reply to a shared note.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    pub text: String,
}

/// Which annotations an export writes into the PDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub enum ExportSet {
    /// The caller's own, private and shared.
    #[serde(rename = "mine")]
    Mine,
    /// Every shared one (the caller's included).
    #[serde(rename = "shared")]
    Shared,
    /// The caller's own and every shared one.
    #[serde(rename = "all-visible")]
    AllVisible,
}

/// A message for the author's own sessions: (event type, data).
pub type PrivateNotice = (&'static str, serde_json::Value);

/// What a change must tell, once committed, besides its durable events.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub annotation: Annotation,
    pub meeting_id: String,
    /// Sent to the author's own sessions only: (event type, data).
    pub private: Option<PrivateNotice>,
}

fn event_type(kind: &'static str) -> &'static str {
    match kind {
        "created" => "annotation.created",
        "updated" => "annotation.updated",
        _ => "annotation.deleted",
    }
}

fn private_type(kind: &'static str) -> &'static str {
    match kind {
        "created" => "annotation.private.created",
        "updated" => "annotation.private.updated",
        _ => "annotation.private.deleted",
    }
}

/// A deleted (or unshared) annotation as events name it: no content.
fn gone(row: &AnnotationRow, unshared: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": row.id, "document_id": row.document_id, "user_id": row.author_id,
    });
    if unshared {
        v["unshared"] = serde_json::Value::Bool(true);
    }
    v
}

/// Writes the events of a change and says what the author's sessions must be told.
fn announce(
    conn: &mut DbConnection,
    before: Option<&AnnotationRow>,
    after: Option<&Annotation>,
    row: &AnnotationRow,
) -> Result<(Vec<Event>, Option<PrivateNotice>), ApiError> {
    let meeting_id = row.meeting_id.as_str();
    let whole = |a: Option<&Annotation>| serde_json::to_value(a).map_err(ApiError::internal);
    Ok(
        match rules::announce(before.map(|b| b.shared), after.map(|x| x.shared)) {
            Some(Announce::Durable("deleted")) => (
                vec![events::append(
                    conn,
                    meeting_id,
                    "annotation.deleted",
                    &gone(row, false),
                )?],
                None,
            ),
            Some(Announce::Durable(kind)) => (
                vec![events::append(conn, meeting_id, event_type(kind), &after)?],
                None,
            ),
            Some(Announce::Unshared) => (
                vec![events::append(
                    conn,
                    meeting_id,
                    "annotation.deleted",
                    &gone(row, true),
                )?],
                Some(("annotation.private.updated", whole(after)?)),
            ),
            Some(Announce::Private("deleted")) => (
                Vec::new(),
                Some(("annotation.private.deleted", gone(row, false))),
            ),
            Some(Announce::Private(kind)) => {
                (Vec::new(), Some((private_type(kind), whole(after)?)))
            }
            None => (Vec::new(), None),
        },
    )
}

/// Observers read only: whatever they write stays private.
fn may_share(access: &Access) -> Result<(), ApiError> {
    if access.acting_role() == Some(MeetingRole::Observer) {
        return Err(ApiError::forbidden(
            "observer_private_only",
            "observers may keep private annotations only",
        ));
    }
    access.require_open()
}

fn load(conn: &mut DbConnection, id: &str) -> Result<Option<AnnotationRow>, ApiError> {
    Ok(a::table
        .find(id)
        .select(AnnotationRow::as_select())
        .first(conn)
        .optional()?)
}

fn replies_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<Reply>>, ApiError> {
    let mut out: HashMap<String, Vec<Reply>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // Bounded batches: both databases limit the parameters of one statement.
    for chunk in ids.chunks(500) {
        let rows: Vec<ReplyRow> = r::table
            .filter(r::annotation_id.eq_any(chunk))
            .order((r::created_at.asc(), r::id.asc()))
            .select(ReplyRow::as_select())
            .load(conn)?;
        for row in rows {
            out.entry(row.annotation_id.clone())
                .or_default()
                .push(row.into());
        }
    }
    Ok(out)
}

/// The annotation with its replies (notes).
pub fn present(conn: &mut DbConnection, row: AnnotationRow) -> Result<Annotation, ApiError> {
    let replies = if row.kind == Kind::Note.as_str() {
        replies_of(conn, std::slice::from_ref(&row.id))?.remove(&row.id)
    } else {
        None
    };
    Annotation::from_row(row, replies)
}

/// An annotation the caller may see, or 404: unknown, another user's private one, or on a
/// document the caller cannot see are the same answer.
pub fn visible(
    conn: &mut DbConnection,
    id: &str,
    user: &crate::auth::AuthUser,
    lock: bool,
) -> Result<(AnnotationRow, DocumentRow, Access), ApiError> {
    let missing = || ApiError::NotFound { what: "annotation" };
    let row = load(conn, id)?.ok_or_else(missing)?;
    if !rules::visible_to(&row.author_id, row.shared, &user.id) {
        return Err(missing());
    }
    let doc = crate::documents::get(conn, &row.document_id).map_err(|_| missing())?;
    let access = if lock {
        crate::meetings::access::load_for_change(conn, &doc.meeting_id, user)
    } else {
        crate::meetings::access::load(conn, &doc.meeting_id, user)
    }
    .map_err(|_| missing())?;
    // Read again under the lock: it may have changed since.
    let row = if lock {
        load(conn, id)?.ok_or_else(missing)?
    } else {
        row
    };
    Ok((row, doc, access))
}

/// The caller's own plus every shared annotation of a document.
pub fn list(
    conn: &mut DbConnection,
    document_id: &str,
    caller: &str,
    query: &ListQuery,
) -> Result<Vec<Annotation>, ApiError> {
    let mut q = a::table
        .filter(a::document_id.eq(document_id))
        .filter(a::author_id.eq(caller).or(a::shared.eq(true)))
        .into_boxed();
    if let Some(v) = query.version {
        q = q.filter(a::document_version.eq(v));
    }
    if let Some(p) = query.page {
        q = q.filter(a::page.eq(p));
    }
    let rows: Vec<AnnotationRow> = q
        .order((a::page.asc(), a::created_at.asc(), a::id.asc()))
        .select(AnnotationRow::as_select())
        .load(conn)?;
    let notes: Vec<String> = rows
        .iter()
        .filter(|r| r.kind == Kind::Note.as_str())
        .map(|r| r.id.clone())
        .collect();
    let mut replies = replies_of(conn, &notes)?;
    rows.into_iter()
        .map(|row| {
            let mine = replies.remove(&row.id);
            Annotation::from_row(row, mine)
        })
        .collect()
}

/// Creates an annotation, or returns the stored one when the same client id is posted again
/// with the same content (`true` when it was created now). Call with the meeting locked.
pub fn create(
    conn: &mut DbConnection,
    doc: &DocumentRow,
    access: &Access,
    body: &NewAnnotation,
    limits: &AnnotationSettings,
) -> Result<((Outcome, bool), Vec<Event>), ApiError> {
    if let Some(id) = &body.id {
        rules::check_id(id)?;
    }
    let kind = Kind::parse(&body.kind)?;
    let data = Data::parse(kind, &body.data, limits)?;
    if body
        .document_version
        .is_some_and(|v| v != doc.current_version)
    {
        return Err(ApiError::conflict(
            "stale_document_version",
            format!(
                "the document has version {} now; annotate the latest version",
                doc.current_version
            ),
        ));
    }
    let version = crate::documents::version(conn, &doc.id, doc.current_version)?;
    rules::check_page(body.page, version.pages)?;
    if body.shared {
        may_share(access)?;
    }
    let json = data.to_json()?;
    let user_id = access.user_id.clone();
    if let Some(id) = &body.id
        && let Some(existing) = load(conn, id)?
    {
        let same = existing.author_id == user_id
            && existing.document_id == doc.id
            && existing.page == body.page
            && existing.kind == kind.as_str()
            && existing.shared == body.shared
            && Data::from_stored(kind, &existing.data).is_ok_and(|d| d == data);
        if same {
            let annotation = present(conn, existing)?;
            let outcome = Outcome {
                annotation,
                meeting_id: doc.meeting_id.clone(),
                private: None,
            };
            return Ok(((outcome, false), Vec::new()));
        }
        // Whose it is stays unsaid: the same answer for any id already in use.
        return Err(ApiError::conflict(
            "annotation_exists",
            "an annotation with this id exists with other content; choose another id or PATCH it",
        ));
    }
    let count: i64 = a::table
        .filter(a::document_id.eq(&doc.id))
        .filter(a::author_id.eq(&user_id))
        .count()
        .get_result(conn)?;
    if count >= limits.max_per_document {
        return Err(ApiError::invalid(
            "too_many_annotations",
            format!(
                "you may keep at most {} annotations on one document",
                limits.max_per_document
            ),
        ));
    }
    let id = body.id.clone().unwrap_or_else(db::new_id);
    let now = db::now();
    diesel::insert_into(a::table)
        .values((
            a::id.eq(&id),
            a::document_id.eq(&doc.id),
            a::meeting_id.eq(&doc.meeting_id),
            a::document_version.eq(doc.current_version),
            a::page.eq(body.page),
            a::kind.eq(kind.as_str()),
            a::shared.eq(body.shared),
            a::orphaned.eq(false),
            a::author_id.eq(&user_id),
            a::data.eq(&json),
            a::version.eq(1),
            a::created_at.eq(now),
            a::updated_at.eq(now),
        ))
        .execute(conn)?;
    let row = load(conn, &id)?.ok_or(ApiError::NotFound { what: "annotation" })?;
    let annotation = present(conn, row.clone())?;
    let (events, private) = announce(conn, None, Some(&annotation), &row)?;
    let outcome = Outcome {
        annotation,
        meeting_id: doc.meeting_id.clone(),
        private,
    };
    Ok(((outcome, true), events))
}

/// Applies a change by the author. Call with the meeting locked.
pub fn update(
    conn: &mut DbConnection,
    row: AnnotationRow,
    doc: &DocumentRow,
    access: &Access,
    patch: &AnnotationPatch,
    limits: &AnnotationSettings,
) -> Result<(Outcome, Vec<Event>), ApiError> {
    if row.author_id != access.user_id {
        return Err(ApiError::forbidden(
            "not_author",
            "only the author changes an annotation",
        ));
    }
    rules::check_revision(row.version, patch.version)?;
    if patch.page.is_none() && patch.shared.is_none() && patch.data.is_none() {
        return Err(ApiError::invalid("empty_patch", "nothing to change"));
    }
    let kind = Kind::parse(&row.kind)?;
    let data = match &patch.data {
        Some(d) => Data::parse(kind, d, limits)?.to_json()?,
        None => row.data.clone(),
    };
    let pages = crate::documents::version(conn, &doc.id, row.document_version)?.pages;
    let page = match patch.page {
        Some(p) => {
            rules::check_page(p, pages)?;
            p
        }
        None => row.page,
    };
    let shared = patch.shared.unwrap_or(row.shared);
    if shared && (!row.shared || patch.data.is_some() || patch.page.is_some()) {
        may_share(access)?;
    } else if row.shared {
        // Unsharing or touching a shared annotation changes the meeting's record.
        access.require_open()?;
    }
    diesel::update(a::table.find(&row.id))
        .set((
            a::page.eq(page),
            a::shared.eq(shared),
            a::orphaned.eq(rules::orphaned(page, pages)),
            a::data.eq(&data),
            a::version.eq(row.version + 1),
            a::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    let fresh = load(conn, &row.id)?.ok_or(ApiError::NotFound { what: "annotation" })?;
    let annotation = present(conn, fresh)?;
    let (events, private) = announce(conn, Some(&row), Some(&annotation), &row)?;
    Ok((
        Outcome {
            annotation,
            meeting_id: row.meeting_id.clone(),
            private,
        },
        events,
    ))
}

/// Deletes an annotation of the author (its replies with it). Call with the meeting locked.
pub fn delete(
    conn: &mut DbConnection,
    row: AnnotationRow,
    access: &Access,
) -> Result<(Option<PrivateNotice>, Vec<Event>), ApiError> {
    if row.author_id != access.user_id {
        return Err(ApiError::forbidden(
            "not_author",
            "only the author deletes an annotation",
        ));
    }
    if row.shared {
        access.require_open()?;
    }
    diesel::delete(r::table.filter(r::annotation_id.eq(&row.id))).execute(conn)?;
    diesel::delete(a::table.find(&row.id)).execute(conn)?;
    let (events, private) = announce(conn, Some(&row), None, &row)?;
    Ok((private, events))
}

/// Adds a reply to a shared note. Call with the meeting locked.
pub fn reply(
    conn: &mut DbConnection,
    row: AnnotationRow,
    access: &Access,
    body: &NewReply,
    limits: &AnnotationSettings,
) -> Result<(Annotation, Vec<Event>), ApiError> {
    if row.kind != Kind::Note.as_str() {
        return Err(ApiError::invalid("not_a_note", "only notes take replies"));
    }
    if !row.shared {
        return Err(ApiError::invalid(
            "not_shared",
            "only shared notes take replies",
        ));
    }
    may_share(access)?;
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid("empty_reply", "a reply needs some text"));
    }
    let text = crate::patch::text(
        &body.text,
        limits.max_reply_chars,
        "reply_too_long",
        "a reply",
    )?;
    let count: i64 = r::table
        .filter(r::annotation_id.eq(&row.id))
        .count()
        .get_result(conn)?;
    if count >= i64::try_from(limits.max_replies).unwrap_or(i64::MAX) {
        return Err(ApiError::invalid(
            "too_many_replies",
            format!("a note may have at most {} replies", limits.max_replies),
        ));
    }
    diesel::insert_into(r::table)
        .values((
            r::id.eq(db::new_id()),
            r::annotation_id.eq(&row.id),
            r::author_id.eq(&access.user_id),
            r::text.eq(&text),
            r::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    let annotation = present(conn, row.clone())?;
    let event = events::append(conn, &row.meeting_id, "annotation.updated", &annotation)?;
    Ok((annotation, vec![event]))
}

/// Deletes a reply: its own author's, or any reply on the note's author's note.
pub fn delete_reply(
    conn: &mut DbConnection,
    row: AnnotationRow,
    access: &Access,
    reply_id: &str,
) -> Result<(Annotation, Vec<Event>), ApiError> {
    let reply: ReplyRow = r::table
        .find(reply_id)
        .filter(r::annotation_id.eq(&row.id))
        .select(ReplyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "reply" })?;
    if reply.author_id != access.user_id && row.author_id != access.user_id {
        return Err(ApiError::forbidden(
            "not_author",
            "only the reply's author or the note's author deletes a reply",
        ));
    }
    access.require_open()?;
    diesel::delete(r::table.find(reply_id)).execute(conn)?;
    let annotation = present(conn, row.clone())?;
    let events = if row.shared {
        vec![events::append(
            conn,
            &row.meeting_id,
            "annotation.updated",
            &annotation,
        )?]
    } else {
        Vec::new()
    };
    Ok((annotation, events))
}

/// Moves every annotation of a document to its new version, same page numbers, flagging those
/// whose page the new version lacks. Runs in the transaction that adds the version.
pub fn carry_forward(
    conn: &mut DbConnection,
    document_id: &str,
    version: i32,
    pages: i32,
) -> Result<(), ApiError> {
    diesel::update(a::table.filter(a::document_id.eq(document_id)))
        .set((
            a::document_version.eq(version),
            a::orphaned.eq(a::page.gt(pages)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An annotation to write into an exported PDF.
#[derive(Debug, Clone)]
pub struct ExportItem {
    pub id: String,
    /// Page number in the exported file, from 1.
    pub page: usize,
    pub data: Data,
    pub author: String,
    pub updated_at: NaiveDateTime,
    /// (author, text, time) of each reply, oldest first.
    pub replies: Vec<(String, String, NaiveDateTime)>,
}

/// The annotations of `set` on one version of a document, for an export; orphaned ones have
/// no page to go on and are left out. `offset` shifts page numbers (board book).
pub fn for_export(
    conn: &mut DbConnection,
    document_id: &str,
    version: i32,
    caller: &str,
    set: ExportSet,
    offset: usize,
) -> Result<Vec<ExportItem>, ApiError> {
    let mut q = a::table
        .inner_join(u::table.on(u::id.eq(a::author_id)))
        .filter(a::document_id.eq(document_id))
        .filter(a::document_version.eq(version))
        .filter(a::orphaned.eq(false))
        .into_boxed();
    q = match set {
        ExportSet::Mine => q.filter(a::author_id.eq(caller)),
        ExportSet::Shared => q.filter(a::shared.eq(true)),
        ExportSet::AllVisible => q.filter(a::author_id.eq(caller).or(a::shared.eq(true))),
    };
    let rows: Vec<(AnnotationRow, String)> = q
        .order((a::page.asc(), a::created_at.asc(), a::id.asc()))
        .select((AnnotationRow::as_select(), u::display_name))
        .load(conn)?;
    let notes: Vec<String> = rows
        .iter()
        .filter(|(r, _)| r.kind == Kind::Note.as_str())
        .map(|(r, _)| r.id.clone())
        .collect();
    let mut replies: HashMap<String, Vec<(String, String, NaiveDateTime)>> = HashMap::new();
    for chunk in notes.chunks(500) {
        let found: Vec<(ReplyRow, String)> = r::table
            .inner_join(u::table.on(u::id.eq(r::author_id)))
            .filter(r::annotation_id.eq_any(chunk))
            .order((r::created_at.asc(), r::id.asc()))
            .select((ReplyRow::as_select(), u::display_name))
            .load(conn)?;
        for (reply, name) in found {
            replies.entry(reply.annotation_id).or_default().push((
                name,
                reply.text,
                reply.created_at,
            ));
        }
    }
    rows.into_iter()
        .map(|(row, author)| {
            let kind = Kind::parse(&row.kind)?;
            Ok(ExportItem {
                page: usize::try_from(row.page).map_err(ApiError::internal)? + offset,
                data: Data::from_stored(kind, &row.data)?,
                replies: replies.remove(&row.id).unwrap_or_default(),
                id: row.id,
                author,
                updated_at: row.updated_at,
            })
        })
        .collect()
}
