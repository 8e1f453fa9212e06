//! Periods named in a question: "in December", "last week", "this quarter",
//! "between 1 and 15 March", "last 30 days", "since 1 October", ISO dates.
//!
//! Relative phrasings are resolved against `today` (passed in, so the planner and its
//! tests agree on the calendar). A month named without a year is the latest such month
//! that has begun: "December" asked in March is last December.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::words::{Token, tokens};

/// A range of days, both ends included, and how the question named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The words it was read from ("last week").
    pub phrase: String,
}

const MONTHS: [(&str, u32); 21] = [
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
];

const MORE_MONTHS: [(&str, u32); 3] = [("nov", 11), ("december", 12), ("dec", 12)];

/// The month a word names (1..=12).
pub fn month_of(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .chain(MORE_MONTHS.iter())
        .find(|(name, _)| *name == word)
        .map(|(_, m)| *m)
}

/// A count written in digits or as a common word ("thirty").
fn count_of(token: &Token) -> Option<i64> {
    if let Some(n) = token.number {
        return Some(n);
    }
    let words = [
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("twelve", 12),
        ("fourteen", 14),
        ("fifteen", 15),
        ("twenty", 20),
        ("thirty", 30),
        ("sixty", 60),
        ("ninety", 90),
    ];
    words
        .iter()
        .find(|(w, _)| *w == token.text)
        .map(|(_, n)| *n)
}

fn first_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn last_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    first_of_month(y, m).map(|d| d - Duration::days(1))
}

fn whole_month(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    Some((first_of_month(year, month)?, last_of_month(year, month)?))
}

/// The latest `month` that has begun by `today` (this year's, else last year's).
fn latest_year_of(month: u32, today: NaiveDate) -> i32 {
    if month <= today.month() {
        today.year()
    } else {
        today.year() - 1
    }
}

fn quarter(year: i32, q: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = (q - 1) * 3 + 1;
    Some((
        first_of_month(year, first)?,
        last_of_month(year, first + 2)?,
    ))
}

fn is_year(token: &Token) -> Option<i32> {
    token
        .number
        .filter(|n| (1990..=2100).contains(n))
        .and_then(|n| i32::try_from(n).ok())
}

/// A day of month (1..=31) written as a number ("1", "15th").
fn day_of(token: &Token) -> Option<u32> {
    token
        .number
        .filter(|n| (1..=31).contains(n))
        .and_then(|n| u32::try_from(n).ok())
}

/// "1 March", "March 1", "1st of March", optionally followed by a year; with where it ended.
fn day_and_month(t: &[Token], at: usize) -> Option<(u32, u32, Option<i32>, usize)> {
    let get = |i: usize| t.get(i);
    // 1 March | 1 of March
    if let Some(day) = get(at).and_then(day_of) {
        let mut i = at + 1;
        if get(i).is_some_and(|w| w.text == "of") {
            i += 1;
        }
        if let Some(month) = get(i).and_then(|w| month_of(&w.text)) {
            let year = get(i + 1).and_then(is_year);
            return Some((day, month, year, i + 1 + usize::from(year.is_some())));
        }
    }
    // March 1
    if let Some(month) = get(at).and_then(|w| month_of(&w.text))
        && let Some(day) = get(at + 1).and_then(day_of)
    {
        let year = get(at + 2).and_then(is_year);
        return Some((day, month, year, at + 2 + usize::from(year.is_some())));
    }
    None
}

fn phrase(t: &[Token], from: usize, to: usize) -> String {
    t[from..to.min(t.len())]
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn made(from: NaiveDate, to: NaiveDate, phrase: String) -> Option<Period> {
    (from <= to).then_some(Period { from, to, phrase })
}

/// The period a question names, if any (the first phrasing found, most specific first).
pub fn parse(question: &str, today: NaiveDate) -> Option<Period> {
    let t = tokens(question);
    // Articles carry nothing here ("from the 1st to the 10th of October").
    let t: Vec<Token> = t.into_iter().filter(|w| w.text != "the").collect();
    if let Some(found) = between(&t, today) {
        // A range that was written but is impossible is not read as something else.
        return found;
    }
    explicit_dates(&t, today)
        .or_else(|| since(&t, today))
        .or_else(|| last_n(&t, today))
        .or_else(|| relative(&t, today))
        .or_else(|| named_quarter(&t, today))
        .or_else(|| named_month(&t, today))
        .or_else(|| named_year(&t))
}

/// ISO dates: two make a range, one after "since" runs to today, one alone is that day.
fn explicit_dates(t: &[Token], today: NaiveDate) -> Option<Period> {
    let dates: Vec<(usize, NaiveDate)> = t
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.date.map(|d| (i, d)))
        .collect();
    match dates.as_slice() {
        [] => None,
        [(i, d)] => {
            if *i > 0 && matches!(t[i - 1].text.as_str(), "since" | "after") {
                made(*d, today, phrase(t, i - 1, i + 1))
            } else {
                made(*d, *d, phrase(t, *i, i + 1))
            }
        }
        [(i, a), (j, b), ..] => made(*a.min(b), *a.max(b), phrase(t, *i, j + 1)),
    }
}

/// "between 1 and 15 March", "from March 1 to March 15", "between 1 March and 15 April 2026".
/// `Some(None)`: a range was written but its days do not exist or run backwards.
fn between(t: &[Token], today: NaiveDate) -> Option<Option<Period>> {
    for start in 0..t.len() {
        if !matches!(t[start].text.as_str(), "between" | "from") {
            continue;
        }
        let at = start + 1;
        let joins =
            |w: &Token| matches!(w.text.as_str(), "and" | "to" | "until" | "till" | "through");
        // Full first date: "1 March and 15 April", "March 1 to March 15", "March 1 to 15".
        if let Some((d1, m1, y1, next)) = day_and_month(t, at)
            && t.get(next).is_some_and(joins)
        {
            let (d2, m2, y2, end) = match day_and_month(t, next + 1) {
                Some(found) => found,
                None => match t.get(next + 1).and_then(day_of) {
                    Some(d) => (d, m1, t.get(next + 2).and_then(is_year), next + 2),
                    None => continue,
                },
            };
            let year2 = y2.or(y1).unwrap_or_else(|| latest_year_of(m2, today));
            let year1 = y1.unwrap_or(if m1 <= m2 { year2 } else { year2 - 1 });
            let from = NaiveDate::from_ymd_opt(year1, m1, d1);
            let to = NaiveDate::from_ymd_opt(year2, m2, d2);
            return Some(
                from.zip(to)
                    .and_then(|(f, e)| made(f, e, phrase(t, start, end))),
            );
        }
        // Bare first day: "between 1 and 15 March (2026)".
        if let Some(d1) = t.get(at).and_then(day_of)
            && t.get(at + 1).is_some_and(joins)
            && let Some((d2, m, y, end)) = day_and_month(t, at + 2)
        {
            let year = y.unwrap_or_else(|| latest_year_of(m, today));
            let from = NaiveDate::from_ymd_opt(year, m, d1);
            let to = NaiveDate::from_ymd_opt(year, m, d2);
            return Some(
                from.zip(to)
                    .and_then(|(f, e)| made(f, e, phrase(t, start, end))),
            );
        }
        // Months: "between September and November".
        if let Some(m1) = t.get(at).and_then(|w| month_of(&w.text))
            && t.get(at + 1).is_some_and(joins)
            && let Some(m2) = t.get(at + 2).and_then(|w| month_of(&w.text))
        {
            let y2 = t
                .get(at + 3)
                .and_then(is_year)
                .unwrap_or_else(|| latest_year_of(m2, today));
            let y1 = if m1 <= m2 { y2 } else { y2 - 1 };
            let from = first_of_month(y1, m1);
            let to = last_of_month(y2, m2);
            return Some(
                from.zip(to)
                    .and_then(|(f, e)| made(f, e, phrase(t, start, at + 3))),
            );
        }
    }
    None
}

/// "since 1 October", "since October" (to today).
fn since(t: &[Token], today: NaiveDate) -> Option<Period> {
    let at = t.iter().position(|w| w.text == "since")?;
    if let Some((d, m, y, end)) = day_and_month(t, at + 1) {
        let year = y.unwrap_or_else(|| latest_year_of(m, today));
        return made(
            NaiveDate::from_ymd_opt(year, m, d)?,
            today,
            phrase(t, at, end),
        );
    }
    let m = t.get(at + 1).and_then(|w| month_of(&w.text))?;
    let year = t
        .get(at + 2)
        .and_then(is_year)
        .unwrap_or_else(|| latest_year_of(m, today));
    made(first_of_month(year, m)?, today, phrase(t, at, at + 2))
}

/// "last 30 days", "past two weeks", "previous 3 months" (ending today).
fn last_n(t: &[Token], today: NaiveDate) -> Option<Period> {
    for i in 0..t.len().saturating_sub(2) {
        if !matches!(t[i].text.as_str(), "last" | "past" | "previous" | "recent") {
            continue;
        }
        let Some(n) = count_of(&t[i + 1]).filter(|n| (1..=3660).contains(n)) else {
            continue;
        };
        let days = match t[i + 2].text.as_str() {
            "day" | "days" => n,
            "week" | "weeks" => n * 7,
            "month" | "months" => n * 30,
            _ => continue,
        };
        return made(today - Duration::days(days - 1), today, phrase(t, i, i + 3));
    }
    None
}

/// today, yesterday, this/last week, month, quarter, year.
fn relative(t: &[Token], today: NaiveDate) -> Option<Period> {
    for (i, w) in t.iter().enumerate() {
        match w.text.as_str() {
            "today" => return made(today, today, "today".into()),
            "yesterday" => {
                let d = today - Duration::days(1);
                return made(d, d, "yesterday".into());
            }
            "ytd" => {
                return made(first_of_month(today.year(), 1)?, today, "ytd".into());
            }
            _ => {}
        }
        let Some(unit) = t.get(i + 1).map(|u| u.text.as_str()) else {
            continue;
        };
        let this = matches!(w.text.as_str(), "this" | "current");
        let last = matches!(w.text.as_str(), "last" | "previous" | "past");
        if !this && !last {
            continue;
        }
        let words = phrase(t, i, i + 2);
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let q = (today.month() - 1) / 3 + 1;
        let range = match (unit, this) {
            ("week", true) => Some((monday, today)),
            ("week", false) => Some((monday - Duration::days(7), monday - Duration::days(1))),
            ("month", true) => whole_month(today.year(), today.month()),
            ("month", false) => {
                let prev = first_of_month(today.year(), today.month())? - Duration::days(1);
                whole_month(prev.year(), prev.month())
            }
            ("quarter", true) => quarter(today.year(), q),
            ("quarter", false) => {
                if q == 1 {
                    quarter(today.year() - 1, 4)
                } else {
                    quarter(today.year(), q - 1)
                }
            }
            ("year", true) => Some((
                first_of_month(today.year(), 1)?,
                last_of_month(today.year(), 12)?,
            )),
            ("year", false) => Some((
                first_of_month(today.year() - 1, 1)?,
                last_of_month(today.year() - 1, 12)?,
            )),
            _ => None,
        };
        if let Some((from, to)) = range {
            return made(from, to, words);
        }
    }
    None
}

/// "Q3", "Q3 2026", "third quarter".
fn named_quarter(t: &[Token], today: NaiveDate) -> Option<Period> {
    for (i, w) in t.iter().enumerate() {
        let q = match w.text.as_str() {
            "q1" => 1,
            "q2" => 2,
            "q3" => 3,
            "q4" => 4,
            "first" | "second" | "third" | "fourth"
                if t.get(i + 1).is_some_and(|n| n.text == "quarter") =>
            {
                match w.text.as_str() {
                    "first" => 1,
                    "second" => 2,
                    "third" => 3,
                    _ => 4,
                }
            }
            _ => continue,
        };
        let skip = if w.text.starts_with('q') { 1 } else { 2 };
        let year = t.get(i + skip).and_then(is_year).unwrap_or_else(|| {
            let first = (q - 1) * 3 + 1;
            latest_year_of(first, today)
        });
        let (from, to) = quarter(year, q)?;
        return made(from, to, phrase(t, i, i + skip + 1));
    }
    None
}

/// "in December", "during October 2026", "for September" (the whole month).
fn named_month(t: &[Token], today: NaiveDate) -> Option<Period> {
    for (i, w) in t.iter().enumerate() {
        let Some(month) = month_of(&w.text) else {
            continue;
        };
        // "may" and "mar" are words too: count them only after a preposition or before a year.
        let year = t.get(i + 1).and_then(is_year);
        let after_preposition = i > 0
            && matches!(
                t[i - 1].text.as_str(),
                "in" | "during" | "for" | "of" | "over" | "since" | "throughout"
            );
        if matches!(w.text.as_str(), "may" | "mar") && year.is_none() && !after_preposition {
            continue;
        }
        let year = year.unwrap_or_else(|| latest_year_of(month, today));
        let (from, to) = whole_month(year, month)?;
        let start = if after_preposition { i - 1 } else { i };
        let end = i + 1 + usize::from(t.get(i + 1).and_then(is_year).is_some());
        return made(from, to, phrase(t, start, end));
    }
    None
}

/// "in 2026".
fn named_year(t: &[Token]) -> Option<Period> {
    for (i, w) in t.iter().enumerate() {
        if let Some(year) = is_year(w) {
            return made(
                first_of_month(year, 1)?,
                last_of_month(year, 12)?,
                phrase(t, i, i + 1),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    /// Monday 7 December 2026.
    fn today() -> NaiveDate {
        d(2026, 12, 7)
    }

    fn range(q: &str) -> Option<(NaiveDate, NaiveDate)> {
        parse(q, today()).map(|p| (p.from, p.to))
    }

    #[test]
    fn a_month_without_a_year_is_the_latest_one_that_began() {
        assert_eq!(
            range("which campaigns had the best return in December?"),
            Some((d(2026, 12, 1), d(2026, 12, 31)))
        );
        assert_eq!(
            range("spend in September"),
            Some((d(2026, 9, 1), d(2026, 9, 30)))
        );
        let early = parse("revenue in December", d(2026, 3, 2)).map(|p| (p.from, p.to));
        assert_eq!(early, Some((d(2025, 12, 1), d(2025, 12, 31))));
        assert_eq!(
            range("leads during October 2025"),
            Some((d(2025, 10, 1), d(2025, 10, 31)))
        );
    }

    #[test]
    fn may_is_a_month_only_where_a_month_fits() {
        assert_eq!(range("what may I ask about funnels"), None);
        assert_eq!(range("spend in may"), Some((d(2026, 5, 1), d(2026, 5, 31))));
    }

    #[test]
    fn weeks_months_quarters_and_years_relative_to_today() {
        assert_eq!(range("last week"), Some((d(2026, 11, 30), d(2026, 12, 6))));
        assert_eq!(range("this week"), Some((d(2026, 12, 7), d(2026, 12, 7))));
        assert_eq!(range("last month"), Some((d(2026, 11, 1), d(2026, 11, 30))));
        assert_eq!(
            range("this quarter"),
            Some((d(2026, 10, 1), d(2026, 12, 31)))
        );
        assert_eq!(range("last quarter"), Some((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(range("last year"), Some((d(2025, 1, 1), d(2025, 12, 31))));
        assert_eq!(range("yesterday"), Some((d(2026, 12, 6), d(2026, 12, 6))));
        let january = parse("last quarter", d(2026, 1, 15)).map(|p| (p.from, p.to));
        assert_eq!(january, Some((d(2025, 10, 1), d(2025, 12, 31))));
    }

    #[test]
    fn the_last_n_days_end_today() {
        assert_eq!(
            range("leads in the last 30 days"),
            Some((d(2026, 11, 8), d(2026, 12, 7)))
        );
        assert_eq!(
            range("past two weeks"),
            Some((d(2026, 11, 24), d(2026, 12, 7)))
        );
        assert_eq!(
            range("over the last seven days"),
            Some((d(2026, 12, 1), d(2026, 12, 7)))
        );
    }

    #[test]
    fn ranges_between_days_in_several_orders() {
        assert_eq!(
            range("between 1 and 15 March"),
            Some((d(2026, 3, 1), d(2026, 3, 15)))
        );
        assert_eq!(
            range("from March 1 to March 15 2025"),
            Some((d(2025, 3, 1), d(2025, 3, 15)))
        );
        assert_eq!(
            range("between 20 September and 5 October"),
            Some((d(2026, 9, 20), d(2026, 10, 5)))
        );
        assert_eq!(
            range("from the 1st to the 10th of October"),
            Some((d(2026, 10, 1), d(2026, 10, 10)))
        );
        assert_eq!(
            range("from 1st to 10th of October"),
            Some((d(2026, 10, 1), d(2026, 10, 10)))
        );
        assert_eq!(
            range("between September and October"),
            Some((d(2026, 9, 1), d(2026, 10, 31)))
        );
        assert_eq!(
            range("from 2026-09-01 to 2026-09-14"),
            Some((d(2026, 9, 1), d(2026, 9, 14)))
        );
    }

    #[test]
    fn quarters_since_and_years() {
        assert_eq!(range("in Q3"), Some((d(2026, 7, 1), d(2026, 9, 30))));
        assert_eq!(range("Q4 2025"), Some((d(2025, 10, 1), d(2025, 12, 31))));
        assert_eq!(
            range("the third quarter"),
            Some((d(2026, 7, 1), d(2026, 9, 30)))
        );
        assert_eq!(
            range("since 15 October"),
            Some((d(2026, 10, 15), d(2026, 12, 7)))
        );
        assert_eq!(range("in 2025"), Some((d(2025, 1, 1), d(2025, 12, 31))));
    }

    #[test]
    fn no_period_and_impossible_dates_give_none() {
        assert_eq!(range("which approvals are pending?"), None);
        assert_eq!(range("between 31 and 30 February"), None);
        assert_eq!(range("between 15 and 1 March"), None);
    }
}
