//! The audit chain: a per-meeting, append-only, hash-chained log of decisions (polls created,
//! opened and closed with their tallies, meeting state changes, document hashes). Each entry's
//! `hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`, the first entry's `prev_hash`
//! being 64 zeros, so altering, removing or reordering any stored entry breaks every hash after
//! it; `ecabinet audit verify` recomputes the chain.
//!
//! Owns: the `audit_entries` table, canonical JSON, chain verification.
//! Must never: append outside the transaction of the decision it records (call `append` with
//! the decision's connection), or rewrite an entry.

pub mod handlers;

use chrono::{NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::schema::audit_entries as a;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// `prev_hash` of a meeting's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = a)]
pub struct StoredEntry {
    #[serde(skip)]
    pub meeting_id: String,
    pub seq: i64,
    pub kind: String,
    /// Canonical JSON text of the entry's data.
    #[serde(skip)]
    pub data: String,
    #[serde(skip)]
    pub at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// An entry of `GET /meetings/{id}/audit`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub kind: String,
    /// RFC 3339 UTC with microseconds, exactly as hashed.
    pub at: String,
    #[schema(value_type = Object)]
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<StoredEntry> for Entry {
    type Error = ApiError;
    fn try_from(e: StoredEntry) -> Result<Self, ApiError> {
        Ok(Entry {
            data: serde_json::from_str(&e.data).map_err(ApiError::internal)?,
            at: format_at(e.at),
            seq: e.seq,
            kind: e.kind,
            prev_hash: e.prev_hash,
            hash: e.hash,
        })
    }
}

fn format_at(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Canonical JSON: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// serde_json's escaping of strings. Our entries hold strings, integers, booleans and nulls
/// only, for which this coincides with RFC 8785 (JCS); floats would need JCS's number form.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                out.push('{');
                // Sorted here, not by the map, so this stays right even if a dependency
                // turns on serde_json's `preserve_order`.
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(v) = map.get(k) {
                        write(v, out);
                    }
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The JSON object an entry's hash covers: every stored column but the hashes themselves.
fn hashed_body(meeting_id: &str, seq: i64, kind: &str, at: &str, data: &Value) -> Value {
    serde_json::json!({"meeting_id": meeting_id, "seq": seq, "kind": kind, "at": at, "data": data})
}

/// `SHA-256(prev_hash ‖ canonical)`, lower-case hex.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical.as_bytes());
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Appends a decision to the meeting's chain, in the caller's write transaction. Takes the
/// meeting's row lock itself, so concurrent appenders of one meeting queue instead of forking
/// the chain.
pub fn append(
    conn: &mut DbConnection,
    meeting_id: &str,
    kind: &str,
    data: &impl Serialize,
) -> Result<Entry, ApiError> {
    crate::events::lock_meeting(conn, meeting_id)?;
    let last: Option<(i64, String)> = a::table
        .filter(a::meeting_id.eq(meeting_id))
        .order(a::seq.desc())
        .select((a::seq, a::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let data = serde_json::to_value(data).map_err(ApiError::internal)?;
    let at = db::now();
    let at_text = format_at(at);
    let hash = chain_hash(
        &prev_hash,
        &canonical_json(&hashed_body(meeting_id, seq, kind, &at_text, &data)),
    );
    diesel::insert_into(a::table)
        .values((
            a::meeting_id.eq(meeting_id),
            a::seq.eq(seq),
            a::kind.eq(kind),
            a::data.eq(canonical_json(&data)),
            a::at.eq(at),
            a::prev_hash.eq(&prev_hash),
            a::hash.eq(&hash),
        ))
        .execute(conn)?;
    Ok(Entry {
        seq,
        kind: kind.to_owned(),
        at: at_text,
        data,
        prev_hash,
        hash,
    })
}

/// The meeting's entries in order.
pub fn entries(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<StoredEntry>, ApiError> {
    Ok(a::table
        .filter(a::meeting_id.eq(meeting_id))
        .order(a::seq.asc())
        .select(StoredEntry::as_select())
        .load(conn)?)
}

/// Meetings that have an audit chain.
pub fn meetings_with_entries(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    Ok(a::table
        .select(a::meeting_id)
        .distinct()
        .order(a::meeting_id.asc())
        .load(conn)?)
}

/// The first entry that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub meeting_id: String,
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "meeting {} entry {}: {}",
            self.meeting_id, self.seq, self.reason
        )
    }
}

/// Recomputes a meeting's chain from its stored entries (in seq order); `Ok(n)` when all `n`
/// entries are intact. Pure: testable without a database.
pub fn verify_chain(meeting_id: &str, entries: &[StoredEntry]) -> Result<usize, Broken> {
    let broken = |seq: i64, reason: &str| Broken {
        meeting_id: meeting_id.to_owned(),
        seq,
        reason: reason.to_owned(),
    };
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected_seq = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if e.seq != expected_seq {
            return Err(broken(
                e.seq,
                &format!("expected entry {expected_seq} here: an entry is missing or moved"),
            ));
        }
        if e.meeting_id != meeting_id {
            return Err(broken(e.seq, "belongs to another meeting"));
        }
        if e.prev_hash != prev {
            return Err(broken(e.seq, "prev_hash is not the previous entry's hash"));
        }
        let data: Value =
            serde_json::from_str(&e.data).map_err(|_| broken(e.seq, "data is not valid JSON"))?;
        let body = hashed_body(&e.meeting_id, e.seq, &e.kind, &format_at(e.at), &data);
        let hash = chain_hash(&e.prev_hash, &canonical_json(&body));
        if hash != e.hash {
            return Err(broken(
                e.seq,
                "hash does not match the entry's content (altered)",
            ));
        }
        prev = hash;
    }
    Ok(entries.len())
}

/// Verifies one meeting's chain in the database.
pub fn verify_meeting(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> Result<Result<usize, Broken>, ApiError> {
    let entries = entries(conn, meeting_id)?;
    Ok(verify_chain(meeting_id, &entries))
}

/// Verifies one meeting's chain, or every meeting's; each with its outcome. An unknown meeting
/// is an error.
pub async fn verify(
    db: &db::Db,
    meeting: Option<String>,
) -> Result<Vec<(String, Result<usize, Broken>)>, ApiError> {
    db.read(move |c| {
        let ids = match meeting {
            Some(id) => {
                crate::meetings::get(c, &id)?;
                vec![id]
            }
            None => meetings_with_entries(c)?,
        };
        ids.into_iter()
            .map(|id| {
                let outcome = verify_meeting(c, &id)?;
                Ok((id, outcome))
            })
            .collect()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, kind: &str, data: Value) -> StoredEntry {
        let at = chrono::DateTime::UNIX_EPOCH.naive_utc() + chrono::Duration::seconds(seq);
        let body = hashed_body("m", seq, kind, &format_at(at), &data);
        StoredEntry {
            meeting_id: "m".into(),
            seq,
            kind: kind.into(),
            data: canonical_json(&data),
            at,
            prev_hash: prev.into(),
            hash: chain_hash(prev, &canonical_json(&body)),
        }
    }

    fn chain() -> Vec<StoredEntry> {
        let a = entry(
            1,
            GENESIS,
            "poll.opened",
            serde_json::json!({"eligible": 3}),
        );
        let b = entry(
            2,
            &a.hash,
            "poll.closed",
            serde_json::json!({"tally": {"yes": 2, "no": 1}}),
        );
        let c = entry(
            3,
            &b.hash,
            "meeting.state",
            serde_json::json!({"state": "closed"}),
        );
        vec![a, b, c]
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [ {"z": 1, "a": "Tán thành"} ], "a": null }"#).unwrap();
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[{"a":"Tán thành","z":1}]}"#
        );
    }

    #[test]
    fn hash_is_sha256_of_prev_and_canonical() {
        // SHA-256 of the empty string, a known vector.
        assert_eq!(
            chain_hash("", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(chain_hash("ab", "c"), chain_hash("a", "bc"));
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain("m", &chain()), Ok(3));
        assert_eq!(verify_chain("m", &[]), Ok(0));
    }

    #[test]
    fn tampering_is_found_at_the_first_broken_entry() {
        let mut altered = chain();
        altered[1].data = r#"{"tally":{"no":1,"yes":3}}"#.into();
        assert_eq!(verify_chain("m", &altered).unwrap_err().seq, 2);

        let mut rehashed = chain();
        // Recomputing the altered entry's own hash moves the break to the next entry.
        rehashed[1] = entry(
            2,
            &rehashed[0].hash,
            "poll.closed",
            serde_json::json!({"tally": {"yes": 3}}),
        );
        assert_eq!(verify_chain("m", &rehashed).unwrap_err().seq, 3);

        let mut removed = chain();
        removed.remove(1);
        assert_eq!(verify_chain("m", &removed).unwrap_err().seq, 3);

        let mut kind = chain();
        kind[0].kind = "poll.created".into();
        assert_eq!(verify_chain("m", &kind).unwrap_err().seq, 1);

        let mut time = chain();
        time[2].at += chrono::Duration::seconds(1);
        assert_eq!(verify_chain("m", &time).unwrap_err().seq, 3);
    }
}
