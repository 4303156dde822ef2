//! Where a document's signatures go: the rooms of the signature blocks the record's renderer
//! left (THƯ KÝ, CHỦ TỌA), kept per document when the record is finalised. The organisation's
//! seal goes over the chair's signature, overlapping it by about a third on the left
//! (Nghị định 30/2020, Phụ lục I). Documents without rooms are signed invisibly.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::incremental::Placement;
use super::signing::Block;
use crate::db::DbConnection;
use crate::db::schema::signature_rooms as r;
use crate::error::ApiError;

/// One block's room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// "secretary" or "chair".
    pub block: String,
    /// 1-based.
    pub page: u32,
    /// PDF user space: x1, y1, x2, y2.
    pub rect: [f32; 4],
}

/// Keeps the rooms of a document the server rendered.
pub fn save(conn: &mut DbConnection, document_id: &str, rooms: &[Room]) -> Result<(), ApiError> {
    if rooms.is_empty() {
        return Ok(());
    }
    let text = serde_json::to_string(rooms).map_err(ApiError::internal)?;
    diesel::insert_into(r::table)
        .values((r::document_id.eq(document_id), r::rooms.eq(text)))
        .execute(conn)?;
    Ok(())
}

fn load(conn: &mut DbConnection, document_id: &str) -> Result<Vec<Room>, ApiError> {
    let text: Option<String> = r::table
        .find(document_id)
        .select(r::rooms)
        .first(conn)
        .optional()?;
    match text {
        Some(t) => serde_json::from_str(&t).map_err(ApiError::internal),
        None => Ok(Vec::new()),
    }
}

/// The blocks the document has rooms for ("secretary", "chair"); none for a document the
/// server did not render.
pub fn blocks(conn: &mut DbConnection, document_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(load(conn, document_id)?
        .into_iter()
        .map(|room| room.block)
        .collect())
}

/// Where a signature of `block` shows on the document, if anywhere.
pub fn placement(
    conn: &mut DbConnection,
    document_id: &str,
    block: Option<Block>,
) -> Result<Option<Placement>, ApiError> {
    let Some(block) = block else {
        return Ok(None);
    };
    let rooms = load(conn, document_id)?;
    let find = |name: &str| rooms.iter().find(|room| room.block == name);
    Ok(match block {
        Block::Secretary | Block::Chair => find(block.as_str()).map(|room| Placement {
            page: room.page,
            rect: room.rect,
        }),
        Block::Organization => find("chair").map(seal_over),
    })
}

/// The seal: a square as tall as the chair's room, its right third over the room's left.
fn seal_over(chair: &Room) -> Placement {
    let [x1, y1, _, y2] = chair.rect;
    let side = (y2 - y1).abs();
    let right = x1 + side / 3.0;
    Placement {
        page: chair.page,
        rect: [(right - side).max(0.0), y1, right, y2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seal_overlaps_the_chairs_room_by_a_third() {
        let chair = Room {
            block: "chair".into(),
            page: 2,
            rect: [350.0, 100.0, 530.0, 190.0],
        };
        let seal = seal_over(&chair);
        assert_eq!(seal.page, 2);
        assert_eq!(seal.rect, [290.0, 100.0, 380.0, 190.0]);
    }
}
