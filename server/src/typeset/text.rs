//! Text as it may reach a page: NFC-normalised (Vietnamese letters as single code points, so
//! each has a glyph of its own and no shaping is needed), without control or format
//! characters (they would print as boxes, or reorder text when a reader honours them).

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Text with its line breaks kept: `\r\n`, `\r`, U+2028 and U+2029 become `\n`, tabs spaces,
/// other control and format characters are dropped.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.nfc().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push(' '),
            c if matches!(
                c.general_category(),
                GeneralCategory::Control | GeneralCategory::Format
            ) => {}
            c => out.push(c),
        }
    }
    out
}

/// Text on one line: as `clean`, with line breaks as spaces and runs of spaces as one,
/// trimmed.
pub fn one_line(text: &str) -> String {
    let cleaned = clean(text);
    let mut out = String::with_capacity(cleaned.len());
    for word in cleaned.split([' ', '\n']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Paragraphs of free text (notes, conclusions): separated by blank lines, each trimmed,
/// single line breaks kept inside.
pub fn paragraphs(text: &str) -> Vec<String> {
    let cleaned = clean(text);
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in cleaned.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_vietnamese_is_composed() {
        // "Thủy" typed with a combining hook above and a combining grave on "y".
        let decomposed = "Thu\u{309}y";
        assert_eq!(clean(decomposed), "Thủy");
        assert_eq!(clean(decomposed).chars().count(), 4);
    }

    #[test]
    fn control_and_format_characters_never_pass() {
        let dirty = "A\u{0}B\u{7}C\u{1b}[31mD\u{202e}E\u{200b}F\u{feff}G\u{85}H";
        let cleaned = clean(dirty);
        assert_eq!(cleaned, "ABC[31mDEFGH");
        assert!(cleaned.chars().all(|c| !c.is_control()));
    }

    #[test]
    fn line_breaks_are_normalised() {
        assert_eq!(clean("a\r\nb\rc\u{2028}d\te"), "a\nb\nc\nd e");
        assert_eq!(one_line("  Trần \n Thị\t\tThu  "), "Trần Thị Thu");
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let text = "Một.\nHai dòng.\n\n  \nBa.\n\n";
        assert_eq!(paragraphs(text), vec!["Một.\nHai dòng.", "Ba."]);
        assert!(paragraphs(" \n\u{0}\n").is_empty());
    }
}
