//! The UTC day, week and month a spend counts in, as the integers the key counters store:
//! days since 1970 for the day and for the week's Monday, year × 12 + month − 1 for the
//! month. A counter whose period is not the current one counts as zero.

use api_types::keys::LimitReset;
use chrono::{DateTime, Datelike, TimeZone, Utc};

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

    /// When the current period of a key limit that resets `reset` began (midnight UTC).
    pub fn start(self, reset: LimitReset) -> DateTime<Utc> {
        let day = |days: i64| Utc.timestamp_opt(days * 86_400, 0).single();
        let start = match reset {
            LimitReset::Daily => day(self.day),
            LimitReset::Weekly => day(self.week),
            LimitReset::Monthly => {
                let (year, month0) = (self.month.div_euclid(12), self.month.rem_euclid(12));
                i32::try_from(year).ok().and_then(|year| {
                    Utc.with_ymd_and_hms(year, month0 as u32 + 1, 1, 0, 0, 0)
                        .single()
                })
            }
        };
        start.unwrap_or(DateTime::<Utc>::MIN_UTC)
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

    #[test]
    fn a_limit_period_starts_at_midnight_of_its_day_monday_or_first() {
        let wednesday = Periods::at(
            DateTime::parse_from_rfc3339("2026-12-02T15:04:05Z")
                .unwrap()
                .to_utc(),
        );
        let start = |reset| wednesday.start(reset).to_rfc3339();
        assert_eq!(start(LimitReset::Daily), "2026-12-02T00:00:00+00:00");
        assert_eq!(start(LimitReset::Weekly), "2026-11-30T00:00:00+00:00");
        assert_eq!(start(LimitReset::Monthly), "2026-12-01T00:00:00+00:00");
    }
}
