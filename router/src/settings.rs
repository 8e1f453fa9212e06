//! Plugin settings as `router.yaml` gives them: `{ from_env: VAR, default: x }`
//! placeholders resolve to a string when the variable is set and to the YAML
//! default otherwise, so numbers, booleans and durations accept both forms.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};

/// A number or a string that holds one.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(u64),
    Text(String),
}

/// A boolean or a string that holds one.
#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrText {
    Bool(bool),
    Text(String),
}

/// Deserializes a `u64` written as a number or a string.
pub fn de_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    match NumberOrText::deserialize(deserializer)? {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("expected a whole number, got {text:?}"))),
    }
}

/// Deserializes a `bool` written as a boolean or a string (`true`, `false`, `1`, `0`).
pub fn de_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match BoolOrText::deserialize(deserializer)? {
        BoolOrText::Bool(b) => Ok(b),
        BoolOrText::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(D::Error::custom(format!(
                "expected true or false, got {text:?}"
            ))),
        },
    }
}

/// Deserializes a duration written as `50ms`, `30d`, `1h 30m` (humantime), or a number of seconds.
pub fn de_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    match NumberOrText::deserialize(deserializer)? {
        NumberOrText::Number(secs) => Ok(Duration::from_secs(secs)),
        NumberOrText::Text(text) => parse_duration(&text).map_err(D::Error::custom),
    }
}

/// Parses a humantime duration (`50ms`, `30d`) or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    hive_router::humantime_serde::re::humantime::parse_duration(text)
        .map_err(|e| format!("expected a duration like 50ms or 30d, got {text:?}: {e}"))
}

/// Deserializes an optional path or text: an empty string counts as absent.
pub fn de_opt_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.filter(|t| !t.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "de_u64")]
        n: u64,
        #[serde(deserialize_with = "de_bool")]
        b: bool,
        #[serde(deserialize_with = "de_duration")]
        d: Duration,
        #[serde(default, deserialize_with = "de_opt_text")]
        p: Option<String>,
    }

    #[test]
    fn accepts_env_strings_and_yaml_values() {
        let s: Sample =
            serde_json::from_str(r#"{"n": "12", "b": "true", "d": "50ms", "p": ""}"#).unwrap();
        assert_eq!(
            (s.n, s.b, s.d, s.p),
            (12, true, Duration::from_millis(50), None)
        );
        let s: Sample =
            serde_json::from_str(r#"{"n": 3, "b": false, "d": 60, "p": "m.json"}"#).unwrap();
        assert_eq!(
            (s.n, s.b, s.d, s.p.as_deref()),
            (3, false, Duration::from_secs(60), Some("m.json"))
        );
        let s: Sample = serde_json::from_str(r#"{"n": 1, "b": "0", "d": "30d"}"#).unwrap();
        assert_eq!(s.d, Duration::from_secs(30 * 86_400));
        assert!(serde_json::from_str::<Sample>(r#"{"n": "x", "b": true, "d": 1}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"n": 1, "b": "maybe", "d": 1}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"n": 1, "b": true, "d": "soon"}"#).is_err());
    }
}
