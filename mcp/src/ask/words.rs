//! Words of a question: lower case, numbers ("15", "15th") and ISO dates read once.

use chrono::NaiveDate;

/// One word of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word in lower case (digits kept).
    pub text: String,
    /// Its value when it is a number or an ordinal ("15th").
    pub number: Option<i64>,
    /// Its value when it is an ISO date (`2026-09-01`).
    pub date: Option<NaiveDate>,
}

fn ordinal(word: &str) -> Option<i64> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The words of `text`, in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in text.split(|c: char| c.is_whitespace() || ",;:?!()\"'".contains(c)) {
        let piece = piece.trim_matches(|c: char| c == '.' || c == '-');
        if piece.is_empty() {
            continue;
        }
        if let Ok(date) = NaiveDate::parse_from_str(piece, "%Y-%m-%d") {
            out.push(Token {
                text: piece.to_string(),
                number: None,
                date: Some(date),
            });
            continue;
        }
        for word in piece
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let text = word.to_lowercase();
            out.push(Token {
                number: ordinal(&text),
                text,
                date: None,
            });
        }
    }
    out
}

/// Just the words, for matching names ("Winter Summit's" gives `winter`, `summit`, `s`).
pub fn plain(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ordinals_and_dates_are_read() {
        let t = tokens("From 2026-09-01, the 15th; TikTok's spend?");
        let texts: Vec<&str> = t.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            ["from", "2026-09-01", "the", "15th", "tiktok", "s", "spend"]
        );
        assert_eq!(t[1].date, NaiveDate::from_ymd_opt(2026, 9, 1));
        assert_eq!(t[3].number, Some(15));
        assert_eq!(t[4].number, None);
    }
}
