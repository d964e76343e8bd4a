//! The UTC day, week and month a spend counts in, as the integers the key counters store:
//! days since 1970 for the day and for the week's Monday, year × 12 + month − 1 for the
//! month. A counter whose period is not the current one counts as zero.

use chrono::{DateTime, Datelike, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    pub day: i64,
    pub week: i64,
    pub month: i64,
}

impl Periods {
    pub fn at(now: DateTime<Utc>) -> Periods {
        let day = now.timestamp().div_euclid(86_400);
        let date = now.date_naive();
        Periods {
            day,
            week: day - i64::from(date.weekday().num_days_from_monday()),
            month: i64::from(date.year()) * 12 + i64::from(date.month0()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_turn_at_utc_midnight_on_mondays_and_on_the_first() {
        let at = |s: &str| Periods::at(DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let sunday = at("2026-11-29T23:59:59Z");
        let monday = at("2026-11-30T00:00:00Z");
        assert_eq!(monday.day, sunday.day + 1);
        assert_eq!(monday.week, monday.day);
        assert_eq!(sunday.week, monday.week - 7);
        assert_eq!(sunday.month, monday.month);
        let december = at("2026-12-01T00:00:00Z");
        assert_eq!(december.month, monday.month + 1);
        assert_eq!(december.week, monday.week);
        assert_eq!(at("1970-01-01T00:00:00Z").day, 0);
    }
}
