//! Text in PDFs ecabinet writes itself (watermarks, the board book's agenda page): DejaVu Sans,
//! which covers every Vietnamese letter, embedded as a subset holding only the glyphs used,
//! as a composite (Type 0) font with a `ToUnicode` map so that readers can search and copy it.
//!
//! Text is NFC-normalized first: Vietnamese letters then are single code points with glyphs
//! of their own, so no shaping is needed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use lopdf::dictionary;
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use unicode_normalization::UnicodeNormalization;

use crate::error::ApiError;

fn face_data() -> &'static [u8] {
    dejavu::sans::regular()
}

/// Text laid out in one font subset: the glyph codes to show and its width.
#[derive(Debug)]
pub struct Shaped {
    /// Two-byte codes (the subset's glyph ids), ready for a `Tj` string.
    pub codes: Vec<u8>,
    /// Width at font size 1.
    pub width: f64,
}

/// A subset of the font holding the glyphs of some texts.
#[derive(Debug)]
pub struct FontSubset {
    program: Vec<u8>,
    /// New glyph id → (advance in 1/1000 em, the text it stands for).
    glyphs: BTreeMap<u16, (i64, String)>,
    remapper: subsetter::GlyphRemapper,
    units_per_em: f64,
    ascent: i64,
    descent: i64,
    bbox: [i64; 4],
}

impl FontSubset {
    /// Builds the subset for every character of `texts`.
    pub fn for_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        let face = ttf_parser::Face::parse(face_data(), 0).map_err(ApiError::internal)?;
        let mut remapper = subsetter::GlyphRemapper::new();
        let mut glyphs = BTreeMap::new();
        let units_per_em = f64::from(face.units_per_em());
        for text in texts {
            for ch in text.nfc() {
                let gid = face.glyph_index(ch).map(|g| g.0).unwrap_or(0);
                let new = remapper.remap(gid);
                let advance = face
                    .glyph_hor_advance(ttf_parser::GlyphId(gid))
                    .map(f64::from)
                    .unwrap_or(0.0);
                glyphs.entry(new).or_insert_with(|| {
                    (
                        (advance * 1000.0 / units_per_em).round() as i64,
                        ch.to_string(),
                    )
                });
            }
        }
        let program = subsetter::subset(face_data(), 0, &remapper)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("font subset: {e}")))?;
        let scale = |v: i16| (f64::from(v) * 1000.0 / units_per_em).round() as i64;
        let bb = face.global_bounding_box();
        Ok(Self {
            program,
            glyphs,
            remapper,
            units_per_em,
            ascent: scale(face.ascender()),
            descent: scale(face.descender()),
            bbox: [
                scale(bb.x_min),
                scale(bb.y_min),
                scale(bb.x_max),
                scale(bb.y_max),
            ],
        })
    }

    /// Lays out `text`, which must have been among the texts the subset was made for.
    pub fn shape(&self, text: &str) -> Result<Shaped, ApiError> {
        let face = ttf_parser::Face::parse(face_data(), 0).map_err(ApiError::internal)?;
        let mut codes = Vec::new();
        let mut width = 0.0;
        for ch in text.nfc() {
            let gid = face.glyph_index(ch).map(|g| g.0).unwrap_or(0);
            let new = self.remapper.get(gid).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("glyph of {ch:?} missing from the subset"))
            })?;
            codes.extend_from_slice(&new.to_be_bytes());
            let advance = face
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .map(f64::from)
                .unwrap_or(0.0);
            width += advance / self.units_per_em;
        }
        Ok(Shaped { codes, width })
    }

    /// The font's objects under the given ids: (Type 0 font, CID font, descriptor, font
    /// file, ToUnicode map). Returns them with their ids; the Type 0 font is the one pages use.
    pub fn objects(&self, ids: FontIds) -> Vec<(ObjectId, Object)> {
        let name = "ECAB+DejaVuSans";
        let mut widths = Vec::new();
        for (gid, (advance, _)) in &self.glyphs {
            widths.push(Object::Integer(i64::from(*gid)));
            widths.push(Object::Array(vec![Object::Integer(*advance)]));
        }
        let type0 = dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(name.as_bytes().to_vec()),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(ids.cid_font)],
            "ToUnicode" => Object::Reference(ids.to_unicode),
        };
        let cid = dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => Object::Name(name.as_bytes().to_vec()),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::String(b"Adobe".to_vec(), StringFormat::Literal),
                "Ordering" => Object::String(b"Identity".to_vec(), StringFormat::Literal),
                "Supplement" => 0,
            },
            "FontDescriptor" => Object::Reference(ids.descriptor),
            "CIDToGIDMap" => "Identity",
            "DW" => 600,
            "W" => widths,
        };
        let descriptor = dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => Object::Name(name.as_bytes().to_vec()),
            "Flags" => 32,
            "FontBBox" => self.bbox.iter().map(|v| Object::Integer(*v)).collect::<Vec<_>>(),
            "ItalicAngle" => 0,
            "Ascent" => self.ascent,
            "Descent" => self.descent,
            "CapHeight" => self.ascent,
            "StemV" => 80,
            "FontFile2" => Object::Reference(ids.file),
        };
        let file = Stream::new(
            dictionary! { "Length1" => self.program.len() as i64 },
            self.program.clone(),
        )
        .with_compression(false);
        let to_unicode = Stream::new(Dictionary::new(), self.to_unicode_cmap().into_bytes());
        vec![
            (ids.type0, Object::Dictionary(type0)),
            (ids.cid_font, Object::Dictionary(cid)),
            (ids.descriptor, Object::Dictionary(descriptor)),
            (ids.file, Object::Stream(file)),
            (ids.to_unicode, Object::Stream(to_unicode)),
        ]
    }

    fn to_unicode_cmap(&self) -> String {
        let mut out = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.glyphs.iter().collect();
        for chunk in entries.chunks(100) {
            let _ = writeln!(out, "{} beginbfchar", chunk.len());
            for (gid, (_, text)) in chunk {
                let utf16: String = text.encode_utf16().map(|u| format!("{u:04X}")).collect();
                let _ = writeln!(out, "<{gid:04X}> <{utf16}>");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        out
    }
}

/// Where the font's objects go.
#[derive(Debug, Clone, Copy)]
pub struct FontIds {
    pub type0: ObjectId,
    pub cid_font: ObjectId,
    pub descriptor: ObjectId,
    pub file: ObjectId,
    pub to_unicode: ObjectId,
}

/// Escapes two-byte codes as a PDF hex string for `Tj`.
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
    fn vietnamese_letters_have_glyphs_of_their_own() {
        let text = "Nguyễn Thị Hương · MẬT";
        let subset = FontSubset::for_texts([text]).unwrap();
        let shaped = subset.shape(text).unwrap();
        // Every character maps to a real glyph (0 is .notdef).
        for pair in shaped.codes.chunks(2) {
            assert_ne!(u16::from_be_bytes([pair[0], pair[1]]), 0);
        }
        assert!(
            shaped.width > 5.0 && shaped.width < 20.0,
            "{}",
            shaped.width
        );
        let cmap = subset.to_unicode_cmap();
        assert!(cmap.contains("<1EC5>"), "ễ is in the ToUnicode map: {cmap}");
    }

    #[test]
    fn the_subset_is_small() {
        let subset = FontSubset::for_texts(["Trần Văn An · 28/11/2026 · MẬT"]).unwrap();
        assert!(subset.program.len() < 20_000, "{}", subset.program.len());
    }
}
