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

/// Characters a one-line display text (a title, a name) may not hold: control characters
/// (NUL, CR, LF, …), line and paragraph separators, and the bidirectional embeddings,
/// overrides and isolates (U+202A–202E, U+2066–2069), which reorder what follows them on
/// screen and in download file names (a title ending "…\u{202E}fdp.exe" shows as "…exe.pdf").
pub fn is_forbidden_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// Like `text`, for one line shown as a name or title: refuses what `is_forbidden_in_line`
/// names.
pub fn line(
    value: &str,
    max: usize,
    code: &'static str,
    what: &str,
) -> Result<String, crate::error::ApiError> {
    let text = text(value, max, code, what)?;
    if text.chars().any(is_forbidden_in_line) {
        return Err(crate::error::ApiError::invalid(
            code,
            format!(
                "{what} must be one line of text, without control or bidirectional-override characters"
            ),
        ));
    }
    Ok(text)
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

    #[test]
    fn lines_refuse_controls_and_bidi_overrides() {
        assert_eq!(
            line(" Tờ trình số 5 ", 50, "c", "t").unwrap(),
            "Tờ trình số 5"
        );
        for bad in [
            "a\u{0}b",
            "a\r\nb",
            "a\nb",
            "a\tb",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{2028}b",
            "report\u{202E}fdp.exe",
            "a\u{202A}b",
            "a\u{2066}b",
            "a\u{2069}b",
        ] {
            assert!(line(bad, 50, "c", "t").is_err(), "{bad:?}");
        }
        // Right-to-left text itself is fine; only the invisible overrides are refused.
        assert!(line("اجتماع", 50, "c", "t").is_ok());
    }
}
