//! The agenda: an ordered tree of items (and sub-items) per meeting, with duration, presenter
//! and notes. Every change emits `agenda.changed` carrying the whole tree, so a tablet simply
//! replaces what it shows.
//!
//! Must never: leave a cycle in the tree, or an order that is not exactly the siblings.

pub mod handlers;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{agenda_items as a, meetings};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::patch;

const NOTES_MAX: usize = 10_000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = a)]
pub struct ItemRow {
    pub id: String,
    pub meeting_id: String,
    pub parent_id: Option<String>,
    pub position: i32,
    pub title: String,
    pub duration_minutes: Option<i32>,
    pub presenter_id: Option<String>,
    pub notes: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An agenda item with its sub-items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgendaItem {
    pub id: String,
    pub parent_id: Option<String>,
    pub position: i32,
    pub title: String,
    pub duration_minutes: Option<i32>,
    pub presenter_id: Option<String>,
    pub notes: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<AgendaItem>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub title: String,
    pub parent_id: Option<String>,
    pub duration_minutes: Option<i32>,
    pub presenter_id: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i32>)]
    pub duration_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub presenter_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// Moves the item under another parent (null: top level), at the end.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub item_ids: Vec<String>,
}

fn rows(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<ItemRow>, ApiError> {
    Ok(a::table
        .filter(a::meeting_id.eq(meeting_id))
        .order((a::position.asc(), a::created_at.asc(), a::id.asc()))
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// Builds the ordered tree from flat rows.
pub fn build_tree(rows: Vec<ItemRow>) -> Vec<AgendaItem> {
    let mut children: HashMap<Option<String>, Vec<ItemRow>> = HashMap::new();
    for row in rows {
        children.entry(row.parent_id.clone()).or_default().push(row);
    }
    fn attach(
        parent: Option<String>,
        children: &mut HashMap<Option<String>, Vec<ItemRow>>,
    ) -> Vec<AgendaItem> {
        let mut level = children.remove(&parent).unwrap_or_default();
        level.sort_by_key(|r| r.position);
        level
            .into_iter()
            .map(|r| AgendaItem {
                children: attach(Some(r.id.clone()), children),
                id: r.id,
                parent_id: r.parent_id,
                position: r.position,
                title: r.title,
                duration_minutes: r.duration_minutes,
                presenter_id: r.presenter_id,
                notes: r.notes,
            })
            .collect()
    }
    attach(None, &mut children)
}

/// The meeting's agenda tree.
pub fn tree(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<AgendaItem>, ApiError> {
    Ok(build_tree(rows(conn, meeting_id)?))
}

/// The meeting id of an item (404 when there is none).
pub fn meeting_of(conn: &mut DbConnection, item_id: &str) -> Result<String, ApiError> {
    a::table
        .find(item_id)
        .select(a::meeting_id)
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound {
            what: "agenda item",
        })
}

pub fn get_in_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
    item_id: &str,
) -> Result<ItemRow, ApiError> {
    a::table
        .find(item_id)
        .filter(a::meeting_id.eq(meeting_id))
        .select(ItemRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound {
            what: "agenda item",
        })
}

fn changed(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> Result<(Vec<AgendaItem>, Event), ApiError> {
    let agenda = tree(conn, meeting_id)?;
    let event = events::append(
        conn,
        meeting_id,
        "agenda.changed",
        &serde_json::json!({"agenda": agenda}),
    )?;
    Ok((agenda, event))
}

fn next_position(
    conn: &mut DbConnection,
    meeting_id: &str,
    parent: Option<&str>,
) -> Result<i32, ApiError> {
    let mut q = a::table
        .filter(a::meeting_id.eq(meeting_id))
        .select(diesel::dsl::max(a::position))
        .into_boxed();
    q = match parent {
        Some(pid) => q.filter(a::parent_id.eq(pid.to_owned())),
        None => q.filter(a::parent_id.is_null()),
    };
    Ok(q.first::<Option<i32>>(conn)?.map_or(0, |m| m + 1))
}

fn check_duration(minutes: Option<i32>) -> Result<(), ApiError> {
    if minutes.is_some_and(|m| !(0..=24 * 60).contains(&m)) {
        return Err(ApiError::invalid(
            "invalid_duration",
            "a duration is 0 to 1440 minutes",
        ));
    }
    Ok(())
}

fn check_presenter(conn: &mut DbConnection, presenter: Option<&str>) -> Result<(), ApiError> {
    if let Some(id) = presenter {
        let n: i64 = crate::db::schema::users::table
            .find(id)
            .count()
            .get_result(conn)?;
        if n == 0 {
            return Err(ApiError::invalid(
                "unknown_user",
                "the presenter is not a known user",
            ));
        }
    }
    Ok(())
}

fn find_item<'t>(items: &'t [AgendaItem], id: &str) -> Option<&'t AgendaItem> {
    items.iter().find_map(|i| {
        if i.id == id {
            Some(i)
        } else {
            find_item(&i.children, id)
        }
    })
}

/// Levels above `item`: 0 for a top-level item.
fn depth_of(all: &[ItemRow], item: &str) -> usize {
    let mut depth = 0;
    let mut current = all.iter().find(|r| r.id == item);
    while let Some(row) = current.and_then(|r| r.parent_id.as_deref()) {
        depth += 1;
        if depth > all.len() {
            break;
        }
        current = all.iter().find(|r| r.id == row);
    }
    depth
}

/// Levels from `item` down to its deepest descendant: 1 for an item without sub-items.
fn height_of(all: &[ItemRow], item: &str) -> usize {
    let mut height = 0;
    let mut level = vec![item];
    while !level.is_empty() && height <= all.len() {
        height += 1;
        level = all
            .iter()
            .filter(|r| r.parent_id.as_deref().is_some_and(|p| level.contains(&p)))
            .map(|r| r.id.as_str())
            .collect();
    }
    height
}

/// An item of `height` levels placed under `parent` must not make the tree deeper than
/// `max_depth` levels: every agenda change writes the whole tree into the event log, and a
/// tree without bound makes that log expensive for every tablet to read.
fn check_depth(
    conn: &mut DbConnection,
    meeting_id: &str,
    parent: Option<&str>,
    height: usize,
    max_depth: usize,
) -> Result<(), ApiError> {
    let levels_above = match parent {
        None => 0,
        Some(parent) => depth_of(&rows(conn, meeting_id)?, parent) + 1,
    };
    if levels_above + height > max_depth {
        return Err(ApiError::invalid(
            "agenda_too_deep",
            format!("the agenda may have at most {max_depth} levels of items"),
        ));
    }
    Ok(())
}

/// `max_depth`: levels the agenda may have (`meetings.max_agenda_depth`).
pub fn add(
    conn: &mut DbConnection,
    meeting_id: &str,
    new: NewItem,
    max_depth: usize,
) -> Result<(AgendaItem, Vec<Event>), ApiError> {
    let title = patch::line(
        &new.title,
        crate::meetings::TITLE_MAX,
        "invalid_title",
        "a title",
    )?;
    check_duration(new.duration_minutes)?;
    check_presenter(conn, new.presenter_id.as_deref())?;
    let notes = patch::optional_text(new.notes.as_deref(), NOTES_MAX, "invalid_notes", "notes")?;
    if let Some(parent) = &new.parent_id {
        get_in_meeting(conn, meeting_id, parent).map_err(|_| {
            ApiError::invalid(
                "invalid_parent",
                "the parent is not an item of this meeting",
            )
        })?;
    }
    check_depth(conn, meeting_id, new.parent_id.as_deref(), 1, max_depth)?;
    let position = next_position(conn, meeting_id, new.parent_id.as_deref())?;
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(a::table)
        .values((
            a::id.eq(&id),
            a::meeting_id.eq(meeting_id),
            a::parent_id.eq(&new.parent_id),
            a::position.eq(position),
            a::title.eq(title),
            a::duration_minutes.eq(new.duration_minutes),
            a::presenter_id.eq(&new.presenter_id),
            a::notes.eq(notes),
            a::created_at.eq(now),
            a::updated_at.eq(now),
        ))
        .execute(conn)?;
    let (agenda, event) = changed(conn, meeting_id)?;
    let item = find_item(&agenda, &id)
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("new item missing")))?;
    Ok((item, vec![event]))
}

/// True when `candidate` is `item` or lies below it.
fn is_self_or_descendant(
    conn: &mut DbConnection,
    item: &str,
    candidate: &str,
) -> Result<bool, ApiError> {
    let mut current = Some(candidate.to_owned());
    let mut seen = HashSet::new();
    while let Some(id) = current {
        if id == item {
            return Ok(true);
        }
        if !seen.insert(id.clone()) {
            return Err(ApiError::internal(anyhow::anyhow!(
                "cycle in agenda at {id}"
            )));
        }
        current = a::table
            .find(&id)
            .select(a::parent_id)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
    }
    Ok(false)
}

pub fn update(
    conn: &mut DbConnection,
    meeting_id: &str,
    item_id: &str,
    patch: ItemPatch,
    max_depth: usize,
) -> Result<(AgendaItem, Vec<Event>), ApiError> {
    let item = get_in_meeting(conn, meeting_id, item_id)?;
    if let Some(title) = &patch.title {
        let title = patch::line(
            title,
            crate::meetings::TITLE_MAX,
            "invalid_title",
            "a title",
        )?;
        diesel::update(a::table.find(item_id))
            .set(a::title.eq(title))
            .execute(conn)?;
    }
    if let Some(minutes) = patch.duration_minutes {
        check_duration(minutes)?;
        diesel::update(a::table.find(item_id))
            .set(a::duration_minutes.eq(minutes))
            .execute(conn)?;
    }
    if let Some(presenter) = &patch.presenter_id {
        check_presenter(conn, presenter.as_deref())?;
        diesel::update(a::table.find(item_id))
            .set(a::presenter_id.eq(presenter))
            .execute(conn)?;
    }
    if let Some(notes) = &patch.notes {
        let notes = patch::optional_text(notes.as_deref(), NOTES_MAX, "invalid_notes", "notes")?;
        diesel::update(a::table.find(item_id))
            .set(a::notes.eq(notes))
            .execute(conn)?;
    }
    if let Some(parent) = &patch.parent_id
        && parent != &item.parent_id
    {
        if let Some(pid) = parent {
            get_in_meeting(conn, meeting_id, pid).map_err(|_| {
                ApiError::invalid(
                    "invalid_parent",
                    "the parent is not an item of this meeting",
                )
            })?;
            if is_self_or_descendant(conn, item_id, pid)? {
                return Err(ApiError::invalid(
                    "agenda_cycle",
                    "an item cannot be moved under itself or one of its own sub-items",
                ));
            }
        }
        let height = height_of(&rows(conn, meeting_id)?, item_id);
        check_depth(conn, meeting_id, parent.as_deref(), height, max_depth)?;
        let position = next_position(conn, meeting_id, parent.as_deref())?;
        diesel::update(a::table.find(item_id))
            .set((a::parent_id.eq(parent), a::position.eq(position)))
            .execute(conn)?;
    }
    diesel::update(a::table.find(item_id))
        .set(a::updated_at.eq(db::now()))
        .execute(conn)?;
    let (agenda, event) = changed(conn, meeting_id)?;
    let item = find_item(&agenda, item_id)
        .cloned()
        .ok_or(ApiError::NotFound {
            what: "agenda item",
        })?;
    Ok((item, vec![event]))
}

/// The item and all items below it.
fn subtree(
    conn: &mut DbConnection,
    meeting_id: &str,
    item_id: &str,
) -> Result<Vec<String>, ApiError> {
    let all = rows(conn, meeting_id)?;
    let mut ids = vec![item_id.to_owned()];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i].clone();
        ids.extend(
            all.iter()
                .filter(|r| r.parent_id.as_deref() == Some(parent.as_str()))
                .map(|r| r.id.clone()),
        );
        i += 1;
    }
    Ok(ids)
}

/// How many documents and polls hang on these items; each module that attaches to agenda
/// items adds its count here.
fn attachments(conn: &mut DbConnection, item_ids: &[String]) -> Result<i64, ApiError> {
    let documents = crate::documents::attached_to(conn, item_ids)?.len();
    let documents = i64::try_from(documents).unwrap_or(i64::MAX);
    Ok(documents.saturating_add(crate::polls::attached_to(conn, item_ids)?))
}

pub fn delete(
    conn: &mut DbConnection,
    meeting_id: &str,
    item_id: &str,
    cascade: bool,
    user_id: &str,
) -> Result<Vec<Event>, ApiError> {
    get_in_meeting(conn, meeting_id, item_id)?;
    let ids = subtree(conn, meeting_id, item_id)?;
    if !cascade && attachments(conn, &ids)? > 0 {
        return Err(ApiError::conflict(
            "agenda_item_in_use",
            "documents or polls are attached to this item; delete with cascade=true to remove them too",
        ));
    }
    // Draft polls go with their items; opened ones are decisions and stay, detached.
    let mut events = crate::polls::release_items(conn, &ids)?;
    // The documents go with their items, softly, as a delete of each would.
    for document_id in crate::documents::attached_to(conn, &ids)? {
        let row = crate::documents::get(conn, &document_id)?;
        events.extend(crate::documents::delete(conn, &row, user_id)?);
    }
    diesel::update(
        meetings::table
            .find(meeting_id)
            .filter(meetings::current_item_id.eq_any(&ids)),
    )
    .set(meetings::current_item_id.eq(None::<String>))
    .execute(conn)?;
    // Children first, so no foreign key ever points at a removed row.
    for id in ids.iter().rev() {
        diesel::delete(a::table.find(id)).execute(conn)?;
    }
    let (_, event) = changed(conn, meeting_id)?;
    events.push(event);
    Ok(events)
}

/// Sets the order of the items sharing one parent; `item_ids` must be exactly those items.
pub fn reorder(
    conn: &mut DbConnection,
    meeting_id: &str,
    order: Order,
) -> Result<(Vec<AgendaItem>, Vec<Event>), ApiError> {
    let invalid = |why: &str| ApiError::invalid("invalid_order", why.to_owned());
    let all = rows(conn, meeting_id)?;
    let first = order
        .item_ids
        .first()
        .ok_or_else(|| invalid("the order lists no items"))?;
    let parent = all
        .iter()
        .find(|r| &r.id == first)
        .map(|r| r.parent_id.clone())
        .ok_or_else(|| invalid("an item is not part of this meeting's agenda"))?;
    let siblings: HashSet<&str> = all
        .iter()
        .filter(|r| r.parent_id == parent)
        .map(|r| r.id.as_str())
        .collect();
    let listed: HashSet<&str> = order.item_ids.iter().map(String::as_str).collect();
    if listed.len() != order.item_ids.len() {
        return Err(invalid("an item is listed twice"));
    }
    if listed != siblings {
        return Err(invalid(
            "the order must list exactly the items that share one parent",
        ));
    }
    for (position, id) in order.item_ids.iter().enumerate() {
        let position = i32::try_from(position).map_err(ApiError::internal)?;
        diesel::update(a::table.find(id))
            .set(a::position.eq(position))
            .execute(conn)?;
    }
    let (agenda, event) = changed(conn, meeting_id)?;
    Ok((agenda, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, parent: Option<&str>, position: i32) -> ItemRow {
        let t = chrono::DateTime::UNIX_EPOCH.naive_utc();
        ItemRow {
            id: id.into(),
            meeting_id: "m".into(),
            parent_id: parent.map(Into::into),
            position,
            title: id.into(),
            duration_minutes: None,
            presenter_id: None,
            notes: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn tree_is_ordered_and_nested() {
        let tree = build_tree(vec![
            row("b", None, 1),
            row("a", None, 0),
            row("b2", Some("b"), 1),
            row("b1", Some("b"), 0),
        ]);
        let ids: Vec<&str> = tree.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let sub: Vec<&str> = tree[1].children.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(sub, ["b1", "b2"]);
        assert!(find_item(&tree, "b2").is_some());
    }

    #[test]
    fn depth_and_height() {
        let all = vec![
            row("a", None, 0),
            row("b", Some("a"), 0),
            row("c", Some("b"), 0),
            row("d", None, 1),
        ];
        assert_eq!(depth_of(&all, "a"), 0);
        assert_eq!(depth_of(&all, "c"), 2);
        assert_eq!(height_of(&all, "a"), 3);
        assert_eq!(height_of(&all, "c"), 1);
        assert_eq!(height_of(&all, "d"), 1);
    }
}
