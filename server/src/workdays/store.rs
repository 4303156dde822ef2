//! The days an admin entered, per year (`calendar_days`).

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Deserialize;

use super::{Calendar, DayKind};
use crate::db::schema::calendar_days as cd;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// Years the calendar takes (a deadline beyond is refused elsewhere long before).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// Days one year may list.
const DAYS_MAX: usize = 120;
const NAME_MAX: usize = 200;
const CODE: &str = "invalid_calendar";

/// One day as an admin enters it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnteredDay {
    #[schema(value_type = String, example = "2026-02-16")]
    pub date: NaiveDate,
    pub kind: DayKind,
    /// What the day is ("Tết Nguyên đán", "Làm bù cho ngày 20/2").
    pub name: String,
}

/// The days an admin entered for `years`, by date.
pub fn entered(
    conn: &mut DbConnection,
    years: std::ops::RangeInclusive<i32>,
) -> Result<BTreeMap<NaiveDate, (DayKind, String)>, ApiError> {
    let rows: Vec<(String, String, String)> = cd::table
        .filter(cd::year.between(*years.start(), *years.end()))
        .select((cd::day, cd::kind, cd::name))
        .load(conn)?;
    let mut out = BTreeMap::new();
    for (day, kind, name) in rows {
        let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(ApiError::internal)?;
        let kind = DayKind::parse(&kind)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("calendar day kind {kind}")))?;
        out.insert(date, (kind, name));
    }
    Ok(out)
}

/// The calendar for computing dates from `from_year` on (this year and the next two: a
/// deadline is at most 60 working days away, a reminder before it).
pub fn calendar_from(conn: &mut DbConnection, from_year: i32) -> Result<Calendar, ApiError> {
    Ok(Calendar::new(entered(
        conn,
        (from_year - 1)..=(from_year + 2),
    )?))
}

/// Checks a year given in a path.
pub fn check_year(year: i32) -> Result<(), ApiError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            CODE,
            format!(
                "the calendar covers the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ),
        ))
    }
}

/// Checks the days entered for `year`: each in that year, once, with a name.
pub fn check(year: i32, days: &[EnteredDay]) -> Result<Vec<EnteredDay>, ApiError> {
    check_year(year)?;
    if days.len() > DAYS_MAX {
        return Err(ApiError::invalid(
            CODE,
            format!("at most {DAYS_MAX} days a year"),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(days.len());
    for day in days {
        if day.date.year() != year {
            return Err(ApiError::invalid(
                CODE,
                format!("{} is not in {year}", day.date),
            ));
        }
        if !seen.insert(day.date) {
            return Err(ApiError::invalid(
                CODE,
                format!("{} is listed twice", day.date),
            ));
        }
        let name = crate::patch::line(&day.name, NAME_MAX, CODE, "a day's name")?;
        out.push(EnteredDay {
            name,
            ..day.clone()
        });
    }
    Ok(out)
}

/// Replaces the days entered for `year` (checked by `check`).
pub fn replace_year(
    conn: &mut DbConnection,
    year: i32,
    days: &[EnteredDay],
    user_id: &str,
) -> Result<(), ApiError> {
    diesel::delete(cd::table.filter(cd::year.eq(year))).execute(conn)?;
    let now = db::now();
    for day in days {
        diesel::insert_into(cd::table)
            .values((
                cd::day.eq(day.date.format("%Y-%m-%d").to_string()),
                cd::year.eq(year),
                cd::kind.eq(day.kind.as_str()),
                cd::name.eq(&day.name),
                cd::updated_by.eq(user_id),
                cd::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, name: &str) -> EnteredDay {
        EnteredDay {
            date: date.parse().unwrap(),
            kind: DayKind::Holiday,
            name: name.into(),
        }
    }

    #[test]
    fn entered_days_belong_to_their_year_once_with_a_name() {
        assert_eq!(
            check(2026, &[day("2026-02-16", "  Tết ")]).unwrap()[0].name,
            "Tết"
        );
        for bad in [
            vec![day("2027-02-16", "Tết")],
            vec![day("2026-02-16", "Tết"), day("2026-02-16", "Tết")],
            vec![day("2026-02-16", " ")],
        ] {
            assert_eq!(check(2026, &bad).unwrap_err().code(), CODE);
        }
        assert_eq!(check(1999, &[]).unwrap_err().code(), CODE);
    }
}
