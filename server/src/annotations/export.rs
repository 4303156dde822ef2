//! Annotations written into a PDF as real annotation objects, so that any reader shows them:
//! ink as `/Ink` (one per stroke, with `/InkList`), highlights as `/Highlight` with
//! `/QuadPoints`, notes as `/Text` (replies as `/Text` answers with `/IRT`). Each ink and
//! highlight carries its own appearance stream, so readers that do not draw annotations from
//! their parameters still show them.
//!
//! They are added as an incremental update (`documents::stamp::tail_with`): the original bytes
//! untouched, the annotated pages rewritten with an `/Annots` array. The page boxes and page
//! dictionaries come from the plan the checking child wrote (`StampPlan::pages`); the server
//! does not parse the stored file.
//!
//! Coordinates: clients give fractions of the page as it is displayed (after `/Rotate`),
//! origin top-left, y downwards, as PDF.js renders it; PDF user space has its origin at the
//! bottom-left of the unrotated page. `to_user_space` converts. Ink pressure has no PDF
//! equivalent and is left out.

use lopdf::{Dictionary, Object, Stream, StringFormat, dictionary};

use super::ExportItem;
use super::rules::Data;
use crate::documents::pdf::{PlannedPage, StampPlan};
use crate::documents::stamp::PageAdditions;
use crate::error::ApiError;

/// Converts a point given as fractions of the displayed page to PDF user space.
pub fn to_user_space(bbox: [f64; 4], rotate: i64, x: f64, y: f64) -> (f64, f64) {
    let [x0, y0, x1, y1] = bbox;
    let (w, h) = (x1 - x0, y1 - y0);
    match rotate.rem_euclid(360) {
        90 => (x0 + y * w, y0 + x * h),
        180 => (x1 - x * w, y0 + y * h),
        270 => (x1 - y * w, y1 - x * h),
        _ => (x0 + x * w, y1 - y * h),
    }
}

/// The displayed width of the page, in points (what stroke widths are fractions of).
fn displayed_width(bbox: [f64; 4], rotate: i64) -> f64 {
    match rotate.rem_euclid(360) {
        90 | 270 => bbox[3] - bbox[1],
        _ => bbox[2] - bbox[0],
    }
}

fn rgb(color: &str) -> [f64; 3] {
    let channel = |i: usize| {
        color
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0)
    };
    [channel(1), channel(3), channel(5)]
}

fn real(v: f64) -> Object {
    Object::Real(v as f32)
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_owned()
    }
}

/// A PDF text string: UTF-16BE with its byte order mark, so Vietnamese survives.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn date(t: chrono::NaiveDateTime) -> Object {
    Object::String(
        t.format("D:%Y%m%d%H%M%SZ").to_string().into_bytes(),
        StringFormat::Literal,
    )
}

fn bounds(points: &[(f64, f64)], pad: f64) -> [f64; 4] {
    let mut r = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for (x, y) in points {
        r = [r[0].min(*x), r[1].min(*y), r[2].max(*x), r[3].max(*y)];
    }
    [r[0] - pad, r[1] - pad, r[2] + pad, r[3] + pad]
}

fn rect_object(r: [f64; 4]) -> Object {
    Object::Array(r.iter().map(|v| real(*v)).collect())
}

/// Hands out object ids and collects the written objects.
struct Writer {
    next: u32,
    objects: Vec<(u32, Vec<u8>)>,
}

impl Writer {
    fn reserve(&mut self) -> u32 {
        let id = self.next;
        self.next += 1;
        id
    }

    fn put(&mut self, id: u32, object: &Object) -> Result<(), ApiError> {
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object).map_err(ApiError::internal)?;
        self.objects.push((id, body));
        Ok(())
    }

    /// An appearance form drawn in user space over `rect`.
    fn appearance(
        &mut self,
        rect: [f64; 4],
        content: String,
        resources: Dictionary,
    ) -> Result<u32, ApiError> {
        let id = self.reserve();
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => rect_object(rect),
                "Resources" => resources,
            },
            content.into_bytes(),
        );
        self.put(id, &Object::Stream(form))?;
        Ok(id)
    }
}

/// The common entries of an annotation dictionary.
fn base(subtype: &str, item: &ExportItem, page: &PlannedPage, rect: [f64; 4]) -> Dictionary {
    dictionary! {
        "Type" => "Annot",
        "Subtype" => subtype.to_owned(),
        "Rect" => rect_object(rect),
        "P" => Object::Reference((page.id, page.generation)),
        "NM" => Object::String(item.id.clone().into_bytes(), StringFormat::Literal),
        "T" => text_string(&item.author),
        "M" => date(item.updated_at),
        // Print: the annotation shows on paper too.
        "F" => 4,
    }
}

/// Writes one annotation; returns the ids to list in the page's `/Annots`.
fn write_item(w: &mut Writer, page: &PlannedPage, item: &ExportItem) -> Result<Vec<u32>, ApiError> {
    let at = |x: f64, y: f64| to_user_space(page.bbox, page.rotate, x, y);
    let mut ids = Vec::new();
    match &item.data {
        Data::Ink(ink) => {
            let scale = displayed_width(page.bbox, page.rotate);
            for stroke in &ink.strokes {
                let points: Vec<(f64, f64)> =
                    stroke.points.iter().map(|p| at(p[0], p[1])).collect();
                let width = (stroke.width * scale).max(0.1);
                let rect = bounds(&points, width / 2.0 + 1.0);
                let [r, g, b] = rgb(&stroke.color);
                let mut content = format!(
                    "{} w 1 J 1 j {} {} {} RG\n",
                    num(width),
                    num(r),
                    num(g),
                    num(b)
                );
                for (i, (x, y)) in points.iter().enumerate() {
                    let op = if i == 0 { "m" } else { "l" };
                    content.push_str(&format!("{} {} {op}\n", num(*x), num(*y)));
                }
                if points.len() == 1 {
                    // A dot: a zero-length line with round caps.
                    content.push_str(&format!("{} {} l\n", num(points[0].0), num(points[0].1)));
                }
                content.push_str("S\n");
                let ap = w.appearance(rect, content, Dictionary::new())?;
                let id = w.reserve();
                let mut dict = base("Ink", item, page, rect);
                dict.set(
                    "InkList",
                    Object::Array(vec![Object::Array(
                        points
                            .iter()
                            .flat_map(|(x, y)| [real(*x), real(*y)])
                            .collect(),
                    )]),
                );
                dict.set("C", Object::Array(vec![real(r), real(g), real(b)]));
                dict.set("BS", dictionary! { "W" => real(width) });
                dict.set("AP", dictionary! { "N" => Object::Reference((ap, 0)) });
                w.put(id, &Object::Dictionary(dict))?;
                ids.push(id);
            }
        }
        Data::Highlight(h) => {
            let mut quads = Vec::new();
            let mut corners = Vec::new();
            let mut content = String::from("/GS gs ");
            let [r, g, b] = rgb(&h.color);
            content.push_str(&format!("{} {} {} rg\n", num(r), num(g), num(b)));
            for [x, y, rw, rh] in &h.rects {
                // Upper-left, upper-right, lower-left, lower-right, as readers expect.
                let quad = [
                    at(*x, *y),
                    at(x + rw, *y),
                    at(*x, y + rh),
                    at(x + rw, y + rh),
                ];
                for (qx, qy) in quad {
                    quads.push(real(qx));
                    quads.push(real(qy));
                    corners.push((qx, qy));
                }
                let [ul, ur, ll, lr] = quad;
                content.push_str(&format!(
                    "{} {} m {} {} l {} {} l {} {} l h f\n",
                    num(ul.0),
                    num(ul.1),
                    num(ur.0),
                    num(ur.1),
                    num(lr.0),
                    num(lr.1),
                    num(ll.0),
                    num(ll.1)
                ));
            }
            let rect = bounds(&corners, 0.0);
            let resources = dictionary! {
                "ExtGState" => dictionary! {
                    "GS" => dictionary! { "Type" => "ExtGState", "BM" => "Multiply", "ca" => real(0.5) },
                },
            };
            let ap = w.appearance(rect, content, resources)?;
            let id = w.reserve();
            let mut dict = base("Highlight", item, page, rect);
            dict.set("QuadPoints", Object::Array(quads));
            dict.set("C", Object::Array(vec![real(r), real(g), real(b)]));
            dict.set("AP", dictionary! { "N" => Object::Reference((ap, 0)) });
            w.put(id, &Object::Dictionary(dict))?;
            ids.push(id);
        }
        Data::Note(note) => {
            let (x, y) = at(note.x, note.y);
            // The reader draws the note icon (about 20 pt) from its top-left corner.
            let rect = [x, y - 20.0, x + 20.0, y];
            let id = w.reserve();
            let mut dict = base("Text", item, page, rect);
            dict.set("Contents", text_string(&note.text));
            dict.set("Name", "Comment");
            dict.set("Open", false);
            if let Some(c) = &note.color {
                let [r, g, b] = rgb(c);
                dict.set("C", Object::Array(vec![real(r), real(g), real(b)]));
            }
            w.put(id, &Object::Dictionary(dict))?;
            ids.push(id);
            for (author, text, at) in &item.replies {
                let reply = w.reserve();
                let mut dict = base("Text", item, page, rect);
                dict.set("T", text_string(author));
                dict.set("M", date(*at));
                dict.set(
                    "NM",
                    Object::String(
                        format!("{}-r{reply}", item.id).into_bytes(),
                        StringFormat::Literal,
                    ),
                );
                dict.set("Contents", text_string(text));
                dict.set("IRT", Object::Reference((id, 0)));
                dict.set("RT", "R");
                dict.set("Name", "Comment");
                w.put(reply, &Object::Dictionary(dict))?;
                ids.push(reply);
            }
        }
    }
    Ok(ids)
}

/// The annotation objects of `items` for a file with this plan, and where they go.
pub fn additions(plan: &StampPlan, items: &[ExportItem]) -> Result<PageAdditions, ApiError> {
    let mut w = Writer {
        next: plan.next_free(),
        objects: Vec::new(),
    };
    let mut out = PageAdditions::default();
    for item in items {
        let Some(index) = item.page.checked_sub(1) else {
            continue;
        };
        // A page the file lacks (an orphan's) has nowhere to go.
        let Some(page) = plan.pages.get(index) else {
            continue;
        };
        let ids = write_item(&mut w, page, item)?;
        out.annots.entry(index).or_default().extend(ids);
    }
    out.objects = w.objects;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A4: [f64; 4] = [0.0, 0.0, 595.0, 842.0];

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn fractions_map_to_user_space_on_upright_pages() {
        assert!(close(to_user_space(A4, 0, 0.0, 0.0), (0.0, 842.0)));
        assert!(close(to_user_space(A4, 0, 1.0, 1.0), (595.0, 0.0)));
        assert!(close(to_user_space(A4, 0, 0.5, 0.25), (297.5, 631.5)));
        // An offset box (a crop box) shifts everything.
        let cropped = [10.0, 20.0, 110.0, 220.0];
        assert!(close(to_user_space(cropped, 0, 0.0, 1.0), (10.0, 20.0)));
    }

    #[test]
    fn fractions_follow_the_displayed_page_when_rotated() {
        // Displayed top-left is the unrotated bottom-left for 90°, the top-right for 270°.
        assert!(close(to_user_space(A4, 90, 0.0, 0.0), (0.0, 0.0)));
        assert!(close(to_user_space(A4, 90, 1.0, 0.0), (0.0, 842.0)));
        assert!(close(to_user_space(A4, 180, 0.0, 0.0), (595.0, 0.0)));
        assert!(close(to_user_space(A4, 270, 0.0, 0.0), (595.0, 842.0)));
        assert!(close(to_user_space(A4, -90, 0.0, 1.0), (0.0, 842.0)));
        assert!((displayed_width(A4, 90) - 842.0).abs() < 1e-9);
    }

    #[test]
    fn colours_and_text_strings() {
        assert_eq!(rgb("#ff8000"), [1.0, 128.0 / 255.0, 0.0]);
        match text_string("Ý kiến") {
            Object::String(bytes, _) => assert_eq!(&bytes[..4], &[0xFE, 0xFF, 0x00, 0xDD]),
            other => panic!("{other:?}"),
        }
    }
}
