//! ISO 3166-1 alpha-2 country codes.

use promptsales_kit::{ApiError, ApiResult};

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted (for binary search).
const CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR",
    "BS", //
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM",
    "CN", //
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC",
    "EE", //
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE",
    "GF", //
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", //
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE",
    "JM", //
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB",
    "LC", //
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH",
    "MK", //
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ",
    "NA", //
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF",
    "PG", //
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU",
    "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR",
    "SS", //
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN",
    "TO", //
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG",
    "VI", //
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an assigned alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// A country code; lower case is accepted and upper-cased.
pub fn country(field: &str, code: &str) -> ApiResult<String> {
    let code = code.trim().to_ascii_uppercase();
    if is_country(&code) {
        Ok(code)
    } else {
        Err(ApiError::bad_input(
            field,
            format!("{field} must be an ISO 3166-1 alpha-2 country code such as ES, got {code:?}"),
        ))
    }
}

/// A list of country codes, each checked (`input.targetCountries[1]`), duplicates dropped, order kept.
pub fn countries(field: &str, codes: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let code = country(&format!("{field}[{i}]"), code)?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_list_is_sorted_and_complete() {
        assert!(CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_country("ES") && is_country("US") && is_country("ZW"));
        assert!(!is_country("XX") && !is_country("UK"));
    }

    #[test]
    fn countries_are_normalised_and_the_bad_one_is_named() {
        let ok = countries(
            "input.targetCountries",
            &["es".into(), "FR".into(), "ES".into()],
        );
        assert_eq!(ok.ok(), Some(vec!["ES".to_string(), "FR".to_string()]));
        let err = countries("input.targetCountries", &["ES".into(), "XX".into()]).unwrap_err();
        assert!(
            matches!(err, ApiError::BadInput { field, .. } if field == "input.targetCountries[1]")
        );
    }
}
