//! One TrueType face embedded in a PDF as a subset holding only the glyphs used: a composite
//! (Type 0 / CIDFontType2, Identity-H) font with a `ToUnicode` map, so that readers can search
//! and copy the text. Any face's bytes will do (DejaVu for the documents' stamps, Liberation
//! Serif or Times New Roman for the meeting's record).
//!
//! Codes in the content streams are the subset's glyph ids, assigned as glyphs are first used,
//! so a page can be written before the subset is known to be complete; the font program is
//! cut only when the objects are asked for.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lopdf::dictionary;
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A face and the glyphs of it used so far.
pub struct FaceSubset<'a> {
    data: &'a [u8],
    face: ttf_parser::Face<'a>,
    /// PostScript name, e.g. "LiberationSerif-Bold".
    name: String,
    remapper: subsetter::GlyphRemapper,
    /// Subset glyph id → the text it stands for (first use wins).
    texts: BTreeMap<u16, String>,
    units_per_em: f32,
}

impl std::fmt::Debug for FaceSubset<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceSubset")
            .field("name", &self.name)
            .field("glyphs", &self.texts.len())
            .finish()
    }
}

/// Where a font's objects go.
#[derive(Debug, Clone, Copy)]
pub struct FontIds {
    pub type0: ObjectId,
    pub cid_font: ObjectId,
    pub descriptor: ObjectId,
    pub file: ObjectId,
    pub to_unicode: ObjectId,
}

impl FontIds {
    /// Five fresh ids of `doc`.
    pub fn new_in(doc: &mut lopdf::Document) -> Self {
        Self {
            type0: doc.new_object_id(),
            cid_font: doc.new_object_id(),
            descriptor: doc.new_object_id(),
            file: doc.new_object_id(),
            to_unicode: doc.new_object_id(),
        }
    }
}

impl<'a> FaceSubset<'a> {
    /// Parses the face; `fallback_name` names it when it carries no PostScript name.
    pub fn new(data: &'a [u8], fallback_name: &str) -> Result<Self, ApiError> {
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("font: {e}")))?;
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_else(|| fallback_name.to_owned());
        // A PDF name of printable ASCII without delimiters.
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let units_per_em = f32::from(face.units_per_em().max(1));
        Ok(Self {
            data,
            face,
            name,
            remapper: subsetter::GlyphRemapper::new(),
            texts: BTreeMap::new(),
            units_per_em,
        })
    }

    /// The face's glyph for `ch`, if it has one (never `.notdef`).
    pub fn glyph(&self, ch: char) -> Option<u16> {
        self.face.glyph_index(ch).map(|g| g.0).filter(|g| *g != 0)
    }

    /// A glyph's advance, in em.
    pub fn advance(&self, gid: u16) -> f32 {
        self.face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .map(f32::from)
            .unwrap_or(0.0)
            / self.units_per_em
    }

    /// Ascender and descender (negative), in em.
    pub fn vertical_metrics(&self) -> (f32, f32) {
        (
            f32::from(self.face.ascender()) / self.units_per_em,
            f32::from(self.face.descender()) / self.units_per_em,
        )
    }

    /// Adds a glyph to the subset; returns its code in the subset. `text` is what copying
    /// it gives (the first text registered for a glyph stays).
    pub fn use_glyph(&mut self, gid: u16, text: &str) -> u16 {
        let code = self.remapper.remap(gid);
        self.texts.entry(code).or_insert_with(|| text.to_owned());
        code
    }

    /// The code of a glyph already used.
    pub fn code(&self, gid: u16) -> Option<u16> {
        self.remapper.get(gid)
    }

    /// Whether no glyph but `.notdef` was used.
    pub fn is_unused(&self) -> bool {
        self.texts.is_empty()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The subset's font program.
    pub fn program(&self) -> Result<Vec<u8>, ApiError> {
        subsetter::subset(self.data, 0, &self.remapper)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("font subset: {e}")))
    }

    /// The font's objects under the given ids; the Type 0 font is the one pages use.
    pub fn objects(&self, ids: FontIds) -> Result<Vec<(ObjectId, Object)>, ApiError> {
        let program = self.program()?;
        let base = format!("{}+{}", self.tag(), self.name);
        let base = Object::Name(base.into_bytes());
        let scale = |v: f32| (v * 1000.0 / self.units_per_em).round() as i64;
        // New ids run 0, 1, 2…: one run of widths covers them all.
        let widths: Vec<Object> = self
            .remapper
            .remapped_gids()
            .map(|old| Object::Integer((self.advance(old) * 1000.0).round() as i64))
            .collect();
        let type0 = dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => base.clone(),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(ids.cid_font)],
            "ToUnicode" => Object::Reference(ids.to_unicode),
        };
        let cid = dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => base.clone(),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::String(b"Adobe".to_vec(), StringFormat::Literal),
                "Ordering" => Object::String(b"Identity".to_vec(), StringFormat::Literal),
                "Supplement" => 0,
            },
            "FontDescriptor" => Object::Reference(ids.descriptor),
            "CIDToGIDMap" => "Identity",
            "DW" => 1000,
            "W" => vec![Object::Integer(0), Object::Array(widths)],
        };
        let bb = self.face.global_bounding_box();
        let italic = self.face.is_italic() || self.face.italic_angle() != 0.0;
        // Nonsymbolic (32), plus italic (64).
        let flags = 32 + if italic { 64 } else { 0 };
        let ascent = scale(f32::from(self.face.ascender()));
        let descriptor = dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => base,
            "Flags" => flags,
            "FontBBox" => [bb.x_min, bb.y_min, bb.x_max, bb.y_max]
                .iter()
                .map(|v| Object::Integer(scale(f32::from(*v))))
                .collect::<Vec<_>>(),
            "ItalicAngle" => Object::Real(self.face.italic_angle()),
            "Ascent" => ascent,
            "Descent" => scale(f32::from(self.face.descender())),
            "CapHeight" => self.face.capital_height().map_or(ascent, |h| scale(f32::from(h))),
            "StemV" => 80,
            "FontFile2" => Object::Reference(ids.file),
        };
        let file = Stream::new(dictionary! { "Length1" => program.len() as i64 }, program);
        let to_unicode = Stream::new(Dictionary::new(), self.to_unicode_cmap().into_bytes());
        Ok(vec![
            (ids.type0, Object::Dictionary(type0)),
            (ids.cid_font, Object::Dictionary(cid)),
            (ids.descriptor, Object::Dictionary(descriptor)),
            (ids.file, Object::Stream(file)),
            (ids.to_unicode, Object::Stream(to_unicode)),
        ])
    }

    /// The six capital letters naming a subset (ISO 32000 9.6.4): derived from the face and
    /// the glyphs, so different subsets of one face get different tags.
    fn tag(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.name.as_bytes());
        for gid in self.remapper.remapped_gids() {
            hash.update(gid.to_be_bytes());
        }
        hash.finalize()
            .iter()
            .take(6)
            .map(|b| char::from(b'A' + b % 26))
            .collect()
    }

    pub(crate) fn to_unicode_cmap(&self) -> String {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.texts.iter().collect();
        for chunk in entries.chunks(100) {
            let _ = writeln!(out, "{} beginbfchar", chunk.len());
            for (code, text) in chunk {
                let utf16: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                let _ = writeln!(out, "<{code:04X}> <{utf16}>");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

/// Two-byte codes as a PDF hex string.
pub fn hex_string(codes: &[u8]) -> String {
    let mut out = String::with_capacity(codes.len() * 2 + 2);
    out.push('<');
    for b in codes {
        let _ = write!(out, "{b:02X}");
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_get_codes_in_order_of_use_and_copy_back_as_text() {
        let mut subset = FaceSubset::new(dejavu::serif::regular(), "DejaVuSerif").unwrap();
        assert_eq!(subset.name(), "DejaVuSerif");
        let e = subset.glyph('ễ').unwrap();
        let a = subset.glyph('A').unwrap();
        assert_eq!(subset.use_glyph(e, "ễ"), 1, ".notdef keeps code 0");
        assert_eq!(subset.use_glyph(a, "A"), 2);
        assert_eq!(
            subset.use_glyph(e, "x"),
            1,
            "a glyph used twice keeps its code"
        );
        assert_eq!(subset.code(a), Some(2));
        let cmap = subset.to_unicode_cmap();
        assert!(cmap.contains("<0001> <1EC5>"), "{cmap}");
        assert!(!cmap.contains("<0078>"), "first text stays: {cmap}");
        assert!(
            subset.glyph('\u{1F600}').is_none(),
            "no emoji in DejaVu Serif"
        );
        assert!(
            (subset.advance(a) - 0.72).abs() < 0.1,
            "{}",
            subset.advance(a)
        );
    }

    #[test]
    fn objects_carry_a_six_letter_subset_tag_and_a_small_program() {
        let mut subset = FaceSubset::new(dejavu::serif::bold(), "x").unwrap();
        for ch in "Cộng hòa".chars() {
            if let Some(g) = subset.glyph(ch) {
                subset.use_glyph(g, &ch.to_string());
            }
        }
        let mut doc = lopdf::Document::with_version("1.7");
        let ids = FontIds::new_in(&mut doc);
        let objects = subset.objects(ids).unwrap();
        let type0 = objects[0].1.as_dict().unwrap();
        let base = type0.get(b"BaseFont").unwrap().as_name().unwrap();
        let base = String::from_utf8_lossy(base);
        assert_eq!(base.find('+'), Some(6), "{base}");
        assert!(base[..6].chars().all(|c| c.is_ascii_uppercase()), "{base}");
        assert!(base.ends_with("DejaVuSerif-Bold"), "{base}");
        let Object::Stream(file) = &objects[3].1 else {
            panic!("font file is a stream")
        };
        assert!(file.content.len() < 30_000, "{}", file.content.len());
    }
}
