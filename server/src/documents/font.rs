//! Text in PDFs ecabinet writes over documents (watermarks, the board book's agenda page):
//! DejaVu Sans, which covers every Vietnamese letter, embedded as a subset through
//! `typeset::font`.
//!
//! Text is NFC-normalized first: Vietnamese letters then are single code points with glyphs
//! of their own, so no shaping is needed.

use lopdf::{Object, ObjectId};
use unicode_normalization::UnicodeNormalization;

use crate::error::ApiError;
use crate::typeset::font::FaceSubset;
pub use crate::typeset::font::{FontIds, hex_string};

/// Text laid out in one font subset: the glyph codes to show and its width.
#[derive(Debug)]
pub struct Shaped {
    /// Two-byte codes (the subset's glyph ids), ready for a `Tj` string.
    pub codes: Vec<u8>,
    /// Width at font size 1.
    pub width: f64,
}

/// A subset of DejaVu Sans holding the glyphs of some texts.
#[derive(Debug)]
pub struct FontSubset(FaceSubset<'static>);

impl FontSubset {
    /// Builds the subset for every character of `texts`.
    pub fn for_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Self, ApiError> {
        let mut face = FaceSubset::new(dejavu::sans::regular(), "DejaVuSans")?;
        for text in texts {
            for ch in text.nfc() {
                // Characters DejaVu lacks show as .notdef (code 0, always in the subset).
                if let Some(gid) = face.glyph(ch) {
                    face.use_glyph(gid, &ch.to_string());
                }
            }
        }
        Ok(Self(face))
    }

    /// Lays out `text`, which must have been among the texts the subset was made for.
    pub fn shape(&self, text: &str) -> Result<Shaped, ApiError> {
        let mut codes = Vec::new();
        let mut width = 0.0;
        for ch in text.nfc() {
            let gid = self.0.glyph(ch).unwrap_or(0);
            let code = self.0.code(gid).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("glyph of {ch:?} missing from the subset"))
            })?;
            codes.extend_from_slice(&code.to_be_bytes());
            width += f64::from(self.0.advance(gid));
        }
        Ok(Shaped { codes, width })
    }

    /// The font's objects under the given ids: (Type 0 font, CID font, descriptor, font
    /// file, ToUnicode map). Returns them with their ids; the Type 0 font is the one pages use.
    pub fn objects(&self, ids: FontIds) -> Result<Vec<(ObjectId, Object)>, ApiError> {
        self.0.objects(ids)
    }
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
        let cmap = subset.0.to_unicode_cmap();
        assert!(cmap.contains("<1EC5>"), "ễ is in the ToUnicode map: {cmap}");
    }

    #[test]
    fn the_subset_is_small() {
        let subset = FontSubset::for_texts(["Trần Văn An · 28/11/2026 · MẬT"]).unwrap();
        assert!(subset.0.program().unwrap().len() < 20_000);
    }
}
