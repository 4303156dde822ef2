//! Working days (ngày làm việc) of the organisation: which days count when a deadline is
//! given as "N working days" (a meeting held in writing) or a reminder as "2 working days
//! before". Saturdays and Sundays are days off; so are the public holidays the server knows by
//! law and the days an admin enters per year; an admin may also make a Saturday or a holiday a
//! working day (ngày làm bù, or the Prime Minister picking the other day beside Quốc khánh).
//!
//! What the server knows by law (Bộ luật Lao động 2019, Điều 112 and Điều 111 khoản 3): Tết
//! Dương lịch 1/1, Chiến thắng 30/4, Quốc tế lao động 1/5, Quốc khánh 2/9 and one day beside
//! it (before or after, announced yearly; the server guesses the one that joins a weekend, as
//! the announcements of 2021–2025 did), and, for each of these that falls on a Saturday or a
//! Sunday, a compensatory day off (nghỉ bù) on the next working day. Lunar holidays (Tết
//! Nguyên đán, Giỗ Tổ Hùng Vương 10/3 âm lịch) move every year and are entered by an admin.
//!
//! Owns the rules (pure, here) and the `calendar_days` table (`store`); knows nothing of
//! meetings: they ask it for dates.

pub mod handlers;
pub mod store;

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Offset, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

/// What an entered day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A day off (ngày nghỉ).
    Holiday,
    /// A working day, also on a Saturday, Sunday or a holiday by law (ngày làm bù).
    Working,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Working => "working",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "holiday" => Some(Self::Holiday),
            "working" => Some(Self::Working),
            _ => None,
        }
    }
}

/// Where a day of the calendar comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Known to the server by law.
    Law,
    /// Entered by an admin for that year.
    Admin,
}

/// One day that is not an ordinary working day (or one an admin made working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    #[schema(value_type = String, example = "2026-04-30")]
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
    pub source: Source,
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

fn date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The day beside Quốc khánh the server assumes: the one that joins 2/9 to a weekend (after a
/// Monday, Thursday or Sunday; before a Tuesday, Wednesday, Friday or Saturday), which is what
/// was announced each year from 2021 to 2025. An admin corrects it per year.
fn national_day_neighbour(year: i32) -> Option<NaiveDate> {
    let second = date(year, 9, 2)?;
    match second.weekday() {
        Weekday::Mon | Weekday::Thu | Weekday::Sun => second.succ_opt(),
        Weekday::Tue | Weekday::Wed | Weekday::Fri | Weekday::Sat => second.pred_opt(),
    }
}

/// The holidays of `year` by law, with their compensatory days off, by date.
pub fn law_days(year: i32) -> BTreeMap<NaiveDate, &'static str> {
    let mut days = BTreeMap::new();
    let fixed = [
        (date(year, 1, 1), "Tết Dương lịch"),
        (date(year, 4, 30), "Ngày Chiến thắng"),
        (date(year, 5, 1), "Ngày Quốc tế lao động"),
        (date(year, 9, 2), "Quốc khánh"),
        (national_day_neighbour(year), "Quốc khánh (ngày liền kề)"),
    ];
    for (day, name) in fixed {
        if let Some(day) = day {
            days.insert(day, name);
        }
    }
    // A holiday on a weekly day off is made up on the next working day (Điều 111 khoản 3).
    let on_weekends: Vec<NaiveDate> = days.keys().copied().filter(|d| is_weekend(*d)).collect();
    for day in on_weekends {
        let mut next = day;
        while let Some(n) = next.succ_opt() {
            next = n;
            if !is_weekend(next) && !days.contains_key(&next) {
                days.insert(next, "Nghỉ bù");
                break;
            }
        }
    }
    days
}

/// The calendar the rules run on: the law's days and the days an admin entered (which win).
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    entered: BTreeMap<NaiveDate, (DayKind, String)>,
}

impl Calendar {
    pub fn new(entered: BTreeMap<NaiveDate, (DayKind, String)>) -> Self {
        Self { entered }
    }

    /// Whether people work on `day`.
    pub fn is_working(&self, day: NaiveDate) -> bool {
        if let Some((kind, _)) = self.entered.get(&day) {
            return *kind == DayKind::Working;
        }
        !is_weekend(day) && !law_days(day.year()).contains_key(&day)
    }

    /// The `n`th working day after `from` (`from` itself not counted; 0 gives `from`).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working(day) {
                left -= 1;
            }
        }
        day
    }

    /// The `n`th working day before `from` (`from` itself not counted).
    pub fn sub_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n;
        while left > 0 {
            match day.pred_opt() {
                Some(prev) => day = prev,
                None => return day,
            }
            if self.is_working(day) {
                left -= 1;
            }
        }
        day
    }

    /// Every day of `year` that is not an ordinary working day by the rules, or that an admin
    /// entered, in date order.
    pub fn year(&self, year: i32) -> Vec<CalendarDay> {
        let mut out: BTreeMap<NaiveDate, CalendarDay> = law_days(year)
            .into_iter()
            .map(|(date, name)| {
                (
                    date,
                    CalendarDay {
                        date,
                        kind: DayKind::Holiday,
                        name: name.to_owned(),
                        source: Source::Law,
                    },
                )
            })
            .collect();
        for (date, (kind, name)) in self.entered.range(first_of(year)..first_of(year + 1)) {
            out.insert(
                *date,
                CalendarDay {
                    date: *date,
                    kind: *kind,
                    name: name.clone(),
                    source: Source::Admin,
                },
            );
        }
        out.into_values().collect()
    }
}

fn first_of(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// When a working day ends in the organisation: the local time and its offset from UTC
/// (Việt Nam: UTC+7 all year, `organization.utc_offset_minutes`).
#[derive(Debug, Clone, Copy)]
pub struct DayEnd {
    pub time: NaiveTime,
    pub offset: FixedOffset,
}

impl DayEnd {
    pub fn new(time: NaiveTime, offset_minutes: i32) -> Self {
        Self {
            time,
            offset: FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix()),
        }
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    fn at(&self, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = day.and_time(time);
        (local - Duration::seconds(i64::from(self.offset.local_minus_utc()))).and_utc()
    }
}

/// The end (`day_end`) of the `n`th working day after the local date of `start`: the
/// deadline "N ngày làm việc" gives.
pub fn deadline_after(
    calendar: &Calendar,
    start: DateTime<Utc>,
    n: u32,
    day_end: DayEnd,
) -> DateTime<Utc> {
    let day = calendar.add_working_days(day_end.local_date(start), n);
    day_end.at(day, day_end.time)
}

/// `n` working days before `at`, at the same local time of day.
pub fn working_days_before(
    calendar: &Calendar,
    at: DateTime<Utc>,
    n: u32,
    day_end: DayEnd,
) -> DateTime<Utc> {
    let local = at.with_timezone(&day_end.offset);
    let day = calendar.sub_working_days(local.date_naive(), n);
    day_end.at(day, local.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn five_pm() -> DayEnd {
        DayEnd::new(NaiveTime::from_hms_opt(17, 0, 0).unwrap(), 7 * 60)
    }

    #[test]
    fn five_working_days_from_a_thursday_before_the_thirtieth_of_april() {
        let cal = Calendar::default();
        // 2026: 30/4 is a Thursday, 1/5 a Friday.
        let start: DateTime<Utc> = "2026-04-23T02:00:00Z".parse().unwrap(); // Thu 09:00 +07
        let deadline = deadline_after(&cal, start, 5, five_pm());
        // Fri 24, Mon 27, Tue 28, Wed 29, (Thu 30/4, Fri 1/5, weekend) Mon 4/5 at 17:00 +07.
        assert_eq!(
            deadline,
            "2026-05-04T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // A start late in the evening (UTC still the day before) counts from the local date.
        let late: DateTime<Utc> = "2026-04-22T18:30:00Z".parse().unwrap(); // Thu 01:30 +07
        assert_eq!(deadline_after(&cal, late, 5, five_pm()), deadline);
    }

    #[test]
    fn entered_days_win_over_the_rules() {
        let mut entered = BTreeMap::new();
        // Tết Nguyên đán 2026 (entered by an admin), and a Saturday worked in exchange.
        for day in 16..=20 {
            entered.insert(d(2026, 2, day), (DayKind::Holiday, "Tết Nguyên đán".into()));
        }
        entered.insert(d(2026, 2, 28), (DayKind::Working, "Làm bù".into()));
        let cal = Calendar::new(entered);
        assert!(!cal.is_working(d(2026, 2, 16)));
        assert!(cal.is_working(d(2026, 2, 28)));
        // Fri 13/2 + 1 working day: Mon 16 to Fri 20 are Tết: Mon 23.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 23));
        // Fri 27/2 + 1: the Saturday worked.
        assert_eq!(cal.add_working_days(d(2026, 2, 27), 1), d(2026, 2, 28));
        assert_eq!(cal.sub_working_days(d(2026, 2, 23), 1), d(2026, 2, 13));
        let year = cal.year(2026);
        assert!(year.iter().any(|x| x.date == d(2026, 2, 28)
            && x.kind == DayKind::Working
            && x.source == Source::Admin));
        assert!(
            year.iter()
                .any(|x| x.date == d(2026, 4, 30) && x.source == Source::Law)
        );
    }

    #[test]
    fn the_day_beside_national_day_and_days_made_up() {
        // What was announced: 2021 3/9, 2022 1/9, 2023 1/9, 2024 3/9, 2025 1/9.
        for (year, day) in [(2021, 3), (2022, 1), (2023, 1), (2024, 3), (2025, 1)] {
            assert!(law_days(year).contains_key(&d(year, 9, day)), "{year}");
        }
        // 2023: 2/9 on a Saturday, made up on Monday 4/9 (3/9 is a Sunday).
        assert_eq!(law_days(2023).get(&d(2023, 9, 4)), Some(&"Nghỉ bù"));
        // 2022: 30/4 Saturday and 1/5 Sunday, made up on Monday 2/5 and Tuesday 3/5.
        let y2022 = law_days(2022);
        assert!(y2022.contains_key(&d(2022, 5, 2)) && y2022.contains_key(&d(2022, 5, 3)));
        // 2023: 1/1 on a Sunday, made up on Monday 2/1.
        assert!(law_days(2023).contains_key(&d(2023, 1, 2)));
        let cal = Calendar::default();
        assert!(!cal.is_working(d(2022, 5, 3)));
        assert!(cal.is_working(d(2022, 5, 4)));
    }

    #[test]
    fn reminders_count_back_in_working_days() {
        let cal = Calendar::default();
        let deadline: DateTime<Utc> = "2026-05-04T10:00:00Z".parse().unwrap(); // Mon 17:00 +07
        // Back over the weekend, 1/5 and 30/4: Wed 29/4 is one, Tue 28/4 two.
        assert_eq!(
            working_days_before(&cal, deadline, 2, five_pm()),
            "2026-04-28T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
