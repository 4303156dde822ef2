//! Partial updates in JSON: telling "field absent" (leave it) from "field null" (clear it).

use serde::{Deserialize, Deserializer};

/// Use with `#[serde(default, deserialize_with = "crate::patch::nullable")]` on an
/// `Option<Option<T>>`: absent → `None`, `null` → `Some(None)`, value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A text field's value after trimming, refused when empty or longer than `max` characters.
pub fn text(
    value: &str,
    max: usize,
    code: &'static str,
    what: &str,
) -> Result<String, crate::error::ApiError> {
    let trimmed = value.trim();
    let n = trimmed.chars().count();
    if n == 0 || n > max {
        return Err(crate::error::ApiError::invalid(
            code,
            format!("{what} must have 1 to {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Like `text`, but an empty value means none.
pub fn optional_text(
    value: Option<&str>,
    max: usize,
    code: &'static str,
    what: &str,
) -> Result<Option<String>, crate::error::ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(v, max, code, what).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(default, deserialize_with = "nullable")]
        x: Option<Option<i32>>,
    }

    #[test]
    fn absent_null_value() {
        let absent: P = serde_json::from_str("{}").unwrap();
        let null: P = serde_json::from_str(r#"{"x":null}"#).unwrap();
        let value: P = serde_json::from_str(r#"{"x":3}"#).unwrap();
        assert_eq!(
            (absent.x, null.x, value.x),
            (None, Some(None), Some(Some(3)))
        );
    }

    #[test]
    fn text_limits() {
        assert_eq!(text("  Họp  ", 10, "c", "title").unwrap(), "Họp");
        assert!(text("   ", 10, "c", "title").is_err());
        assert!(text(&"ạ".repeat(11), 10, "c", "title").is_err());
        assert_eq!(optional_text(Some(" "), 10, "c", "x").unwrap(), None);
    }
}
