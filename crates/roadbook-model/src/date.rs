use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date (due dates, target dates, review dates), written `YYYY-MM-DD`.
///
/// Its own type so that a date that does not exist (2026-02-30) is refused with a message a
/// person understands, in the CLI and in import files alike.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Date(NaiveDate);

impl Date {
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Date)
    }

    pub fn naive(&self) -> NaiveDate {
        self.0
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadDate {
    #[error("'{0}' is not a date: write it as YYYY-MM-DD, for example 2026-03-31")]
    Format(String),
    #[error("'{text}' is not a calendar date: month {month} of {year} has no day {day}")]
    NoSuchDay {
        text: String,
        year: i32,
        month: u32,
        day: u32,
    },
    #[error("'{text}' is not a calendar date: there is no month {month}")]
    NoSuchMonth { text: String, month: u32 },
}

impl FromStr for Date {
    type Err = BadDate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let format = || BadDate::Format(s.to_owned());
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(format());
        }
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y) && digits(m) && digits(d)) {
            return Err(format());
        }
        let year: i32 = y.parse().map_err(|_| format())?;
        let month: u32 = m.parse().map_err(|_| format())?;
        let day: u32 = d.parse().map_err(|_| format())?;
        if !(1..=12).contains(&month) {
            return Err(BadDate::NoSuchMonth {
                text: s.to_owned(),
                month,
            });
        }
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Date)
            .ok_or_else(|| BadDate::NoSuchDay {
                text: s.to_owned(),
                year,
                month,
                day,
            })
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_iso_dates() {
        let date: Date = "2026-03-31".parse().unwrap();
        assert_eq!(date.to_string(), "2026-03-31");
        assert_eq!(date, Date::from_ymd(2026, 3, 31).unwrap());
    }

    #[test]
    fn refuses_days_that_do_not_exist_and_says_why() {
        let err = "2026-02-30".parse::<Date>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'2026-02-30' is not a calendar date: month 2 of 2026 has no day 30"
        );
        let err = "2026-13-01".parse::<Date>().unwrap_err();
        assert!(err.to_string().contains("no month 13"), "{err}");
    }

    #[test]
    fn refuses_other_spellings() {
        for bad in [
            "2026-2-3",
            "03/31/2026",
            "2026-03-31T00:00:00Z",
            "",
            "+2026-03-31",
            "2026-03-3a",
        ] {
            assert!(
                matches!(bad.parse::<Date>(), Err(BadDate::Format(_))),
                "{bad}"
            );
        }
    }

    /// `make bindings` writes what this parser says of typical and mistyped days, where the
    /// UI's date field (ui/src/lib/dates.ts) is checked against it by Vitest: one reading of a
    /// typed day, whichever side reads it.
    #[cfg(feature = "ts")]
    #[test]
    fn export_the_date_cases_for_the_ui() {
        let cases: Vec<serde_json::Value> = [
            "2026-12-15",
            "2026-03-31",
            "2028-02-29",
            "2026-02-29",
            "2026-02-30",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-12-00",
            "12/26/2026",
            "2026-1-5",
            "2026-12-1x",
            "26-12-15",
            "2026-12-15-01",
            "tomorrow",
            "２０２６-12-15",
        ]
        .iter()
        .map(|text| match text.parse::<Date>() {
            Ok(day) => serde_json::json!({ "text": text, "day": day.to_string() }),
            Err(e) => serde_json::json!({ "text": text, "error": e.to_string() }),
        })
        .collect();
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        let text = serde_json::to_string_pretty(&cases).unwrap() + "\n";
        std::fs::write(dir.join("date-cases.json"), &text).unwrap();
        assert!(cases.iter().any(|c| c.get("error").is_some()));
    }
}
