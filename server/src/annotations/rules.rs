//! The rules of annotations as plain functions, testable without HTTP or a database: what a
//! valid `data` object is for each kind (coordinates as fractions of the page, `#rrggbb`
//! colours, the configured limits), who sees an annotation, when a page is orphaned, and which
//! events a change of the `shared` flag produces.
//!
//! Must never: accept a coordinate outside the page or a value that is not a finite number
//! (a NaN would reach every tablet and every exported PDF).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::AnnotationSettings;
use crate::error::ApiError;

/// The three kinds of annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ink,
    Highlight,
    Note,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "ink" => Ok(Self::Ink),
            "highlight" => Ok(Self::Highlight),
            "note" => Ok(Self::Note),
            _ => Err(ApiError::invalid(
                "invalid_kind",
                "kind must be \"ink\", \"highlight\" or \"note\"",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ink => "ink",
            Self::Highlight => "highlight",
            Self::Note => "note",
        }
    }
}

/// One stroke of ink: points `[x, y]` or `[x, y, pressure]`, all in 0..1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stroke {
    pub points: Vec<Vec<f64>>,
    pub color: String,
    /// Line width as a fraction of the page's width, in (0, 0.1].
    pub width: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ink {
    pub strokes: Vec<Stroke>,
}

/// Rectangles `[x, y, w, h]` (top-left corner, width, height) over the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Highlight {
    pub rects: Vec<[f64; 4]>,
    pub color: String,
}

/// A note pinned at `(x, y)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub x: f64,
    pub y: f64,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A validated `data` object.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Ink(Ink),
    Highlight(Highlight),
    Note(Note),
}

fn shape(kind: Kind, e: &serde_json::Error) -> ApiError {
    let expected = match kind {
        Kind::Ink => r##"{"strokes":[{"points":[[x,y]…],"color":"#rrggbb","width":w}]}"##,
        Kind::Highlight => r##"{"rects":[[x,y,w,h]…],"color":"#rrggbb"}"##,
        Kind::Note => r#"{"x","y","text"}"#,
    };
    ApiError::invalid(
        "invalid_data",
        format!("data of a {} must be {expected}: {e}", kind.as_str()),
    )
}

fn unit(v: f64) -> bool {
    v.is_finite() && (0.0..=1.0).contains(&v)
}

fn outside() -> ApiError {
    ApiError::invalid(
        "invalid_coordinates",
        "coordinates are fractions of the page: numbers from 0 to 1",
    )
}

/// Whether `s` is a `#rrggbb` colour.
pub fn is_color(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn color(s: &str) -> Result<(), ApiError> {
    if is_color(s) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_color",
            "colours are written #rrggbb",
        ))
    }
}

impl Data {
    /// Parses and checks `data` for `kind` against the limits.
    pub fn parse(kind: Kind, data: &Value, limits: &AnnotationSettings) -> Result<Self, ApiError> {
        let parsed = match kind {
            Kind::Ink => Self::Ink(Ink::deserialize(data).map_err(|e| shape(kind, &e))?),
            Kind::Highlight => {
                Self::Highlight(Highlight::deserialize(data).map_err(|e| shape(kind, &e))?)
            }
            Kind::Note => Self::Note(Note::deserialize(data).map_err(|e| shape(kind, &e))?),
        };
        parsed.check(limits)?;
        let parsed = parsed.rounded();
        if parsed.to_json()?.len() > limits.max_bytes {
            return Err(ApiError::invalid(
                "annotation_too_large",
                format!(
                    "an annotation's data may have at most {} bytes",
                    limits.max_bytes
                ),
            ));
        }
        Ok(parsed)
    }

    /// The same annotation with every coordinate, pressure and width kept to six decimals (a
    /// millionth of the page: far below a pixel at any zoom). Pointer events give doubles with
    /// seventeen digits; storing them as sent would triple what every listing, event and export
    /// carries for nothing the eye can see. A width stays above zero.
    fn rounded(self) -> Self {
        fn r(v: f64) -> f64 {
            (v * 1e6).round() / 1e6
        }
        match self {
            Self::Ink(mut ink) => {
                for stroke in &mut ink.strokes {
                    for point in &mut stroke.points {
                        point.iter_mut().for_each(|v| *v = r(*v));
                    }
                    stroke.width = r(stroke.width).max(1e-6);
                }
                Self::Ink(ink)
            }
            Self::Highlight(mut h) => {
                for rect in &mut h.rects {
                    rect.iter_mut().for_each(|v| *v = r(*v));
                    // Still inside the page and not empty once rounded.
                    rect[2] = r(rect[2].min(1.0 - rect[0])).max(1e-6);
                    rect[3] = r(rect[3].min(1.0 - rect[1])).max(1e-6);
                }
                Self::Highlight(h)
            }
            Self::Note(mut n) => {
                n.x = r(n.x);
                n.y = r(n.y);
                Self::Note(n)
            }
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Self::Ink(_) => Kind::Ink,
            Self::Highlight(_) => Kind::Highlight,
            Self::Note(_) => Kind::Note,
        }
    }

    fn check(&self, limits: &AnnotationSettings) -> Result<(), ApiError> {
        match self {
            Self::Ink(ink) => {
                if ink.strokes.is_empty() || ink.strokes.iter().any(|s| s.points.is_empty()) {
                    return Err(ApiError::invalid(
                        "empty_annotation",
                        "ink needs at least one stroke with at least one point",
                    ));
                }
                if ink.strokes.len() > limits.max_strokes {
                    return Err(ApiError::invalid(
                        "too_many_strokes",
                        format!(
                            "an ink annotation may have at most {} strokes",
                            limits.max_strokes
                        ),
                    ));
                }
                for stroke in &ink.strokes {
                    if stroke.points.len() > limits.max_points_per_stroke {
                        return Err(ApiError::invalid(
                            "too_many_points",
                            format!(
                                "a stroke may have at most {} points",
                                limits.max_points_per_stroke
                            ),
                        ));
                    }
                    let points_ok = stroke
                        .points
                        .iter()
                        .all(|p| (2..=3).contains(&p.len()) && p.iter().all(|v| unit(*v)));
                    if !points_ok {
                        return Err(outside());
                    }
                    color(&stroke.color)?;
                    if !(stroke.width.is_finite() && stroke.width > 0.0 && stroke.width <= 0.1) {
                        return Err(ApiError::invalid(
                            "invalid_width",
                            "width is a fraction of the page's width, above 0 and at most 0.1",
                        ));
                    }
                }
            }
            Self::Highlight(h) => {
                if h.rects.is_empty() {
                    return Err(ApiError::invalid(
                        "empty_annotation",
                        "a highlight needs at least one rectangle",
                    ));
                }
                if h.rects.len() > limits.max_rects {
                    return Err(ApiError::invalid(
                        "too_many_rects",
                        format!(
                            "a highlight may have at most {} rectangles",
                            limits.max_rects
                        ),
                    ));
                }
                let rects_ok = h.rects.iter().all(|[x, y, w, h]| {
                    [x, y, w, h].iter().all(|v| unit(**v))
                        && *w > 0.0
                        && *h > 0.0
                        && x + w <= 1.0 + 1e-9
                        && y + h <= 1.0 + 1e-9
                });
                if !rects_ok {
                    return Err(outside());
                }
                color(&h.color)?;
            }
            Self::Note(n) => {
                if !(unit(n.x) && unit(n.y)) {
                    return Err(outside());
                }
                if n.text.trim().is_empty() {
                    return Err(ApiError::invalid("empty_note", "a note needs some text"));
                }
                if n.text.chars().count() > limits.max_note_chars {
                    return Err(ApiError::invalid(
                        "note_too_long",
                        format!(
                            "a note may have at most {} characters",
                            limits.max_note_chars
                        ),
                    ));
                }
                if let Some(c) = &n.color {
                    color(c)?;
                }
            }
        }
        Ok(())
    }

    /// The data as stored and sent: the validated form, so equal content compares equal.
    pub fn to_json(&self) -> Result<String, ApiError> {
        match self {
            Self::Ink(x) => serde_json::to_string(x),
            Self::Highlight(x) => serde_json::to_string(x),
            Self::Note(x) => serde_json::to_string(x),
        }
        .map_err(ApiError::internal)
    }

    /// Reads data stored by `to_json`.
    pub fn from_stored(kind: Kind, json: &str) -> Result<Self, ApiError> {
        Ok(match kind {
            Kind::Ink => Self::Ink(serde_json::from_str(json).map_err(ApiError::internal)?),
            Kind::Highlight => {
                Self::Highlight(serde_json::from_str(json).map_err(ApiError::internal)?)
            }
            Kind::Note => Self::Note(serde_json::from_str(json).map_err(ApiError::internal)?),
        })
    }
}

/// Who sees an annotation: its author always, everyone who sees the document when shared.
pub fn visible_to(author_id: &str, shared: bool, caller: &str) -> bool {
    shared || author_id == caller
}

/// Pages are numbered from 1; a page beyond the version's count is orphaned.
pub fn orphaned(page: i32, pages: i32) -> bool {
    page > pages
}

/// Checks a page number against the anchored version's page count.
pub fn check_page(page: i32, pages: i32) -> Result<(), ApiError> {
    if page < 1 || page > pages {
        return Err(ApiError::invalid(
            "invalid_page",
            format!("page must be from 1 to {pages}"),
        ));
    }
    Ok(())
}

/// Client-chosen ids: 1 to 64 letters, digits, `-` or `_` (a UUID fits).
pub fn check_id(id: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_annotation_id",
            "an id has 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

/// An update must name the version it edits; an older one is refused with the current one.
pub fn check_revision(current: i32, sent: i32) -> Result<(), ApiError> {
    if current == sent {
        Ok(())
    } else {
        Err(ApiError::Stale {
            detail: format!(
                "the annotation changed since version {sent}; re-read it (version {current}) and retry"
            ),
            current_version: i64::from(current),
        })
    }
}

/// What the meeting's log and the author's own sessions are told about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// A durable event for everyone: `annotation.created|updated|deleted`.
    Durable(&'static str),
    /// The durable `annotation.deleted` of an unshared annotation, and the private update to
    /// its author's sessions.
    Unshared,
    /// Only the author's sessions: `annotation.private.created|updated|deleted`.
    Private(&'static str),
}

/// The announcement of an annotation going from `before` to `after` (`None`: not existing).
pub fn announce(before: Option<bool>, after: Option<bool>) -> Option<Announce> {
    match (before, after) {
        (None, Some(true)) | (Some(false), Some(true)) => Some(Announce::Durable("created")),
        (Some(true), Some(true)) => Some(Announce::Durable("updated")),
        (Some(true), None) => Some(Announce::Durable("deleted")),
        (Some(true), Some(false)) => Some(Announce::Unshared),
        (None, Some(false)) => Some(Announce::Private("created")),
        (Some(false), Some(false)) => Some(Announce::Private("updated")),
        (Some(false), None) => Some(Announce::Private("deleted")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> AnnotationSettings {
        AnnotationSettings {
            max_points_per_stroke: 3,
            max_strokes: 2,
            max_rects: 2,
            max_bytes: 1_000,
            max_note_chars: 5,
            ..AnnotationSettings::default()
        }
    }

    fn code(r: Result<Data, ApiError>) -> &'static str {
        r.err().map(|e| e.code()).unwrap_or("ok")
    }

    #[test]
    fn coordinates_are_kept_to_six_decimals() {
        let l = limits();
        let data = json!({"strokes": [{"points": [[0.123_456_789_012_345, 0.999_999_9, 0.5]],
            "color": "#ff0000", "width": 0.000_000_1}]});
        let Ok(Data::Ink(ink)) = Data::parse(Kind::Ink, &data, &l) else {
            panic!("valid ink refused");
        };
        assert_eq!(ink.strokes[0].points[0], vec![0.123_457, 1.0, 0.5]);
        assert_eq!(ink.strokes[0].width, 0.000_001);
        let note = json!({"x": 0.333_333_333_3, "y": 0.0, "text": "ý"});
        let Ok(Data::Note(n)) = Data::parse(Kind::Note, &note, &l) else {
            panic!("valid note refused");
        };
        assert_eq!((n.x, n.y), (0.333_333, 0.0));
        let rects = json!({"rects": [[0.1, 0.200_000_4, 0.3, 0.000_000_6]], "color": "#ffe000"});
        let Ok(Data::Highlight(h)) = Data::parse(Kind::Highlight, &rects, &l) else {
            panic!("valid highlight refused");
        };
        assert_eq!(h.rects[0], [0.1, 0.2, 0.3, 0.000_001]);
    }

    #[test]
    fn ink_is_checked() {
        let l = limits();
        let ink = |points: Value, color: &str, width: f64| json!({"strokes": [{"points": points, "color": color, "width": width}]});
        let ok = ink(json!([[0.1, 0.2], [0.3, 0.4, 0.5]]), "#ff0000", 0.01);
        assert_eq!(code(Data::parse(Kind::Ink, &ok, &l)), "ok");
        for (data, expected) in [
            (
                ink(json!([[1.5, 0.2]]), "#ff0000", 0.01),
                "invalid_coordinates",
            ),
            (
                ink(json!([[0.1, -0.1]]), "#ff0000", 0.01),
                "invalid_coordinates",
            ),
            (ink(json!([[0.1]]), "#ff0000", 0.01), "invalid_coordinates"),
            (
                ink(json!([[0.1, 0.1, 2.0]]), "#ff0000", 0.01),
                "invalid_coordinates",
            ),
            (
                ink(json!(vec![[0.1, 0.2]; 4]), "#ff0000", 0.01),
                "too_many_points",
            ),
            (ink(json!([[0.1, 0.2]]), "red", 0.01), "invalid_color"),
            (ink(json!([[0.1, 0.2]]), "#ff00zz", 0.01), "invalid_color"),
            (ink(json!([[0.1, 0.2]]), "#ff0000", 0.0), "invalid_width"),
            (ink(json!([[0.1, 0.2]]), "#ff0000", 0.5), "invalid_width"),
            (ink(json!([]), "#ff0000", 0.01), "empty_annotation"),
            (json!({"strokes": []}), "empty_annotation"),
            (json!({"lines": []}), "invalid_data"),
            (
                json!({"strokes": vec![json!({"points": [[0.1, 0.1]], "color": "#000000", "width": 0.01}); 3]}),
                "too_many_strokes",
            ),
        ] {
            assert_eq!(code(Data::parse(Kind::Ink, &data, &l)), expected, "{data}");
        }
    }

    #[test]
    fn highlights_and_notes_are_checked() {
        let l = limits();
        let hl = |rects: Value| json!({"rects": rects, "color": "#ffff00"});
        assert_eq!(
            code(Data::parse(
                Kind::Highlight,
                &hl(json!([[0.1, 0.1, 0.5, 0.05]])),
                &l
            )),
            "ok"
        );
        assert_eq!(
            code(Data::parse(
                Kind::Highlight,
                &hl(json!([[0.6, 0.1, 0.5, 0.05]])),
                &l
            )),
            "invalid_coordinates"
        );
        assert_eq!(
            code(Data::parse(
                Kind::Highlight,
                &hl(json!([[0.1, 0.1, 0.0, 0.05]])),
                &l
            )),
            "invalid_coordinates"
        );
        assert_eq!(
            code(Data::parse(
                Kind::Highlight,
                &hl(json!(vec![[0.1, 0.1, 0.1, 0.1]; 3])),
                &l
            )),
            "too_many_rects"
        );
        let note = |x: f64, text: &str| json!({"x": x, "y": 0.5, "text": text});
        assert_eq!(code(Data::parse(Kind::Note, &note(0.5, "ổn"), &l)), "ok");
        assert_eq!(
            code(Data::parse(Kind::Note, &note(1.01, "ổn"), &l)),
            "invalid_coordinates"
        );
        assert_eq!(
            code(Data::parse(Kind::Note, &note(0.5, "  "), &l)),
            "empty_note"
        );
        assert_eq!(
            code(Data::parse(Kind::Note, &note(0.5, "quá dài"), &l)),
            "note_too_long"
        );
        let big = AnnotationSettings { max_bytes: 20, ..l };
        assert_eq!(
            code(Data::parse(Kind::Note, &note(0.5, "ổn"), &big)),
            "annotation_too_large"
        );
    }

    #[test]
    fn stored_data_reads_back_equal() {
        let data =
            json!({"strokes": [{"points": [[0.1, 0.2, 0.3]], "color": "#00ff00", "width": 0.002}]});
        let parsed = Data::parse(Kind::Ink, &data, &limits()).unwrap();
        let back = Data::from_stored(Kind::Ink, &parsed.to_json().unwrap()).unwrap();
        assert_eq!(parsed, back);
    }

    #[test]
    fn visibility_pages_ids_and_revisions() {
        assert!(visible_to("a", false, "a"));
        assert!(!visible_to("a", false, "b"));
        assert!(visible_to("a", true, "b"));
        assert!(orphaned(4, 3) && !orphaned(3, 3));
        assert!(check_page(0, 3).is_err() && check_page(4, 3).is_err() && check_page(3, 3).is_ok());
        assert!(check_id("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").is_ok());
        assert!(
            check_id("").is_err() && check_id("a/b").is_err() && check_id(&"x".repeat(65)).is_err()
        );
        assert!(check_revision(2, 2).is_ok());
        match check_revision(3, 2) {
            Err(ApiError::Stale {
                current_version, ..
            }) => assert_eq!(current_version, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sharing_changes_are_announced_to_the_right_audience() {
        assert_eq!(
            announce(None, Some(true)),
            Some(Announce::Durable("created"))
        );
        assert_eq!(
            announce(Some(false), Some(true)),
            Some(Announce::Durable("created"))
        );
        assert_eq!(
            announce(Some(true), Some(true)),
            Some(Announce::Durable("updated"))
        );
        assert_eq!(announce(Some(true), Some(false)), Some(Announce::Unshared));
        assert_eq!(
            announce(Some(true), None),
            Some(Announce::Durable("deleted"))
        );
        assert_eq!(
            announce(None, Some(false)),
            Some(Announce::Private("created"))
        );
        assert_eq!(
            announce(Some(false), Some(false)),
            Some(Announce::Private("updated"))
        );
        assert_eq!(
            announce(Some(false), None),
            Some(Announce::Private("deleted"))
        );
    }
}
