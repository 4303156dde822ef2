//! Số văn bản: the organisation's register of document numbers, one sequence per kind of
//! document (`BB` biên bản, `TB` thông báo, `BC` báo cáo) and year, starting at 1 each January. A number is
//! taken inside the transaction that records its document, so a failed finalisation gives it
//! back (no gap) and two finalisations never get the same one (PostgreSQL's row lock on the
//! register; SQLite's single writer); every number issued is kept in `register_entries`,
//! whose key refuses a number given twice.

use diesel::prelude::*;

use crate::db::schema::{register_entries as re, registers as r};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// A kind of document the register numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Biên bản.
    Minutes,
    /// Thông báo (kết luận).
    Notice,
    /// Báo cáo (tổng hợp ý kiến, a meeting held in writing).
    Report,
}

impl Kind {
    /// The abbreviation of the kind (Nghị định 30/2020, Phụ lục III).
    pub fn abbreviation(self) -> &'static str {
        match self {
            Self::Minutes => "BB",
            Self::Notice => "TB",
            Self::Report => "BC",
        }
    }
}

/// "05/BB-UBND": numbers below 10 with a leading zero.
pub fn format(number: i32, kind: Kind, sign: &str) -> String {
    format!("{number:02}/{}-{sign}", kind.abbreviation())
}

/// The number the next document of `kind` in `year` would take.
pub fn peek(
    conn: &mut DbConnection,
    organization: &str,
    kind: Kind,
    year: i32,
) -> Result<i32, ApiError> {
    let last: Option<i32> = r::table
        .find((organization, kind.abbreviation(), year))
        .select(r::last_number)
        .first(conn)
        .optional()?;
    Ok(last.unwrap_or(0) + 1)
}

/// Makes sure the register of `kind` in `year` exists (at 0), in a transaction of its own:
/// two finalisations that both found it missing would otherwise both insert it, and one would
/// fail on the key.
pub fn open(
    conn: &mut DbConnection,
    organization: &str,
    kind: Kind,
    year: i32,
) -> Result<(), ApiError> {
    let query = diesel::sql_query(
        "INSERT INTO registers (organization, kind, year, last_number) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (organization, kind, year) DO NOTHING",
    );
    match conn {
        DbConnection::Postgresql(c) => query
            .bind::<diesel::sql_types::Text, _>(organization)
            .bind::<diesel::sql_types::Text, _>(kind.abbreviation())
            .bind::<diesel::sql_types::Integer, _>(year)
            .execute(c)?,
        DbConnection::Sqlite(c) => query
            .bind::<diesel::sql_types::Text, _>(organization)
            .bind::<diesel::sql_types::Text, _>(kind.abbreviation())
            .bind::<diesel::sql_types::Integer, _>(year)
            .execute(c)?,
    };
    Ok(())
}

/// Takes the next number of `kind` in `year` (the register must be `open`); call inside the
/// transaction that records the document. The update takes the register row's lock, so a
/// concurrent finalisation waits here and then counts on from the number this one took.
pub fn take(
    conn: &mut DbConnection,
    organization: &str,
    kind: Kind,
    year: i32,
) -> Result<i32, ApiError> {
    let key = (organization, kind.abbreviation(), year);
    let updated = diesel::update(r::table.find(key))
        .set(r::last_number.eq(r::last_number + 1))
        .execute(conn)?;
    if updated != 1 {
        return Err(ApiError::internal(anyhow::anyhow!(
            "the register {organization}/{}/{year} is not open",
            kind.abbreviation()
        )));
    }
    Ok(r::table.find(key).select(r::last_number).first(conn)?)
}

/// Writes down whom a number was given to; the key refuses a number given twice.
pub fn enter(
    conn: &mut DbConnection,
    organization: &str,
    kind: Kind,
    year: i32,
    number: i32,
    meeting_id: &str,
    document_id: &str,
) -> Result<(), ApiError> {
    diesel::insert_into(re::table)
        .values((
            re::organization.eq(organization),
            re::kind.eq(kind.abbreviation()),
            re::year.eq(year),
            re::number.eq(number),
            re::meeting_id.eq(meeting_id),
            re::document_id.eq(document_id),
            re::issued_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_below_ten_have_a_leading_zero() {
        assert_eq!(format(5, Kind::Minutes, "UBND"), "05/BB-UBND");
        assert_eq!(format(12, Kind::Notice, "UBND"), "12/TB-UBND");
        assert_eq!(format(123, Kind::Minutes, "SNV"), "123/BB-SNV");
    }
}
