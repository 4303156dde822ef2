//! The typesetter: characters to glyphs and paragraphs to lines. Lines wrap at spaces (a
//! word longer than the line is cut between letters) and are justified, centred or flush.
//! Glyphs come from the four styles of the family, or, for a character none of them has, from
//! DejaVu Sans, else the replacement character: text never fails to set.

use std::collections::HashMap;

use super::family::Fonts;
use super::font::FaceSubset;
use super::layout::{Align, Draw, FALLBACK_FONT, Face, Paragraph, Slab, Span, Style};
use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
struct Glyph {
    font: u8,
    code: u16,
    /// In em.
    advance: f32,
}

/// A piece of a line: glyphs of one font and size, or a space between words.
#[derive(Debug, Clone)]
enum Piece {
    Glyphs {
        font: u8,
        size: f32,
        glyphs: Vec<(u16, f32)>,
        width: f32,
    },
    Space {
        font: u8,
        size: f32,
        code: u16,
        width: f32,
    },
}

impl Piece {
    fn width(&self) -> f32 {
        match self {
            Self::Glyphs { width, .. } | Self::Space { width, .. } => *width,
        }
    }

    fn size(&self) -> f32 {
        match self {
            Self::Glyphs { size, .. } | Self::Space { size, .. } => *size,
        }
    }
}

enum Token {
    Piece(Piece),
    Break,
}

/// Sets text in a family; holds the subsets of the faces it used.
pub struct Typesetter<'f> {
    /// The four styles, then DejaVu Sans.
    pub(crate) faces: Vec<FaceSubset<'f>>,
    cache: HashMap<(u8, char), Glyph>,
    /// Ascender and descender of the regular face, in em (both positive).
    ascent: f32,
    descent: f32,
}

impl std::fmt::Debug for Typesetter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typesetter")
            .field("faces", &self.faces)
            .finish()
    }
}

impl<'f> Typesetter<'f> {
    pub fn new(fonts: &'f Fonts) -> Result<Self, ApiError> {
        let faces = vec![
            FaceSubset::new(&fonts.regular, "Regular")?,
            FaceSubset::new(&fonts.bold, "Bold")?,
            FaceSubset::new(&fonts.italic, "Italic")?,
            FaceSubset::new(&fonts.bold_italic, "BoldItalic")?,
            FaceSubset::new(dejavu::sans::regular(), "DejaVuSans")?,
        ];
        let (ascent, descent) = faces[0].vertical_metrics();
        Ok(Self {
            faces,
            cache: HashMap::new(),
            ascent,
            descent: -descent,
        })
    }

    fn glyph(&mut self, face: Face, ch: char) -> Glyph {
        let key = (face.index(), ch);
        if let Some(glyph) = self.cache.get(&key) {
            return *glyph;
        }
        let own = usize::from(face.index());
        let fallback = usize::from(FALLBACK_FONT);
        let mut buf = [0u8; 4];
        let text: &str = ch.encode_utf8(&mut buf);
        let (font, gid, text) = if let Some(g) = self.faces[own].glyph(ch) {
            (own, g, text)
        } else if let Some(g) = self.faces[fallback].glyph(ch) {
            (fallback, g, text)
        } else if let Some(g) = self.faces[fallback].glyph('\u{FFFD}') {
            (fallback, g, "\u{FFFD}")
        } else if let Some(g) = self.faces[own].glyph('?') {
            (own, g, "?")
        } else {
            (own, 0, "\u{FFFD}")
        };
        let code = self.faces[font].use_glyph(gid, text);
        let glyph = Glyph {
            font: font as u8,
            code,
            advance: self.faces[font].advance(gid),
        };
        self.cache.insert(key, glyph);
        glyph
    }

    /// The width of `text` on one line, in points.
    pub fn width(&mut self, text: &str, style: Style) -> f32 {
        text.chars()
            .map(|c| self.glyph(style.face, c).advance)
            .sum::<f32>()
            * style.size
    }

    /// `text` on one line with its start at (x, baseline y): a drawing for decorations
    /// (page numbers, marks) outside the flow.
    pub fn run(&mut self, text: &str, style: Style, x: f32, y: f32) -> Vec<Draw> {
        let mut out = Vec::new();
        let mut pen = x;
        for ch in text.chars() {
            let g = self.glyph(style.face, ch);
            let advance = g.advance * style.size;
            match out.last_mut() {
                Some(Draw::Text {
                    font,
                    glyphs,
                    width,
                    ..
                }) if *font == g.font => {
                    glyphs.push((g.code, 0.0));
                    *width += advance;
                }
                _ => out.push(Draw::Text {
                    x: pen,
                    y,
                    font: g.font,
                    size: style.size,
                    glyphs: vec![(g.code, 0.0)],
                    width: advance,
                }),
            }
            pen += advance;
        }
        out
    }

    fn tokens(&mut self, spans: &[Span]) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::new();
        for span in spans {
            let size = span.style.size;
            for ch in span.text.chars() {
                match ch {
                    '\n' => out.push(Token::Break),
                    ' ' => {
                        // Spaces collapse; none opens a line.
                        if matches!(out.last(), None | Some(Token::Break))
                            || matches!(out.last(), Some(Token::Piece(Piece::Space { .. })))
                        {
                            continue;
                        }
                        let g = self.glyph(span.style.face, ' ');
                        out.push(Token::Piece(Piece::Space {
                            font: g.font,
                            size,
                            code: g.code,
                            width: g.advance * size,
                        }));
                    }
                    c => {
                        let g = self.glyph(span.style.face, c);
                        let advance = g.advance * size;
                        if let Some(Token::Piece(Piece::Glyphs {
                            font,
                            size: s,
                            glyphs,
                            width,
                        })) = out.last_mut()
                            && *font == g.font
                            && *s == size
                        {
                            glyphs.push((g.code, advance));
                            *width += advance;
                            continue;
                        }
                        out.push(Token::Piece(Piece::Glyphs {
                            font: g.font,
                            size,
                            glyphs: vec![(g.code, advance)],
                            width: advance,
                        }));
                    }
                }
            }
        }
        out
    }

    /// The paragraph's lines as slabs, set in `width` from `x`.
    pub fn lines(&mut self, par: &Paragraph, x: f32, width: f32) -> Vec<Slab> {
        let tokens = self.tokens(&par.spans);
        let mut breaker = LineBreaker {
            par,
            width,
            lines: Vec::new(),
            current: Vec::new(),
            current_width: 0.0,
            pending_space: None,
        };
        let mut word: Vec<Piece> = Vec::new();
        for token in tokens {
            match token {
                Token::Piece(piece @ Piece::Glyphs { .. }) => word.push(piece),
                Token::Piece(space @ Piece::Space { .. }) => {
                    breaker.place(std::mem::take(&mut word));
                    if !breaker.current.is_empty() {
                        breaker.pending_space = Some(space);
                    }
                }
                Token::Break => {
                    breaker.place(std::mem::take(&mut word));
                    breaker.finish(true);
                }
            }
        }
        breaker.place(word);
        if !breaker.current.is_empty() {
            breaker.finish(true);
        }
        let default_size = par.spans.first().map_or(12.0, |s| s.style.size);
        let count = breaker.lines.len();
        breaker
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, (pieces, last))| {
                let mut slab = self.set_line(par, &pieces, last, i == 0, x, width, default_size);
                // No orphan, no widow: the first two and the last two lines stay together.
                slab.keep_with_next = (count >= 2 && (i == 0 || i + 2 == count))
                    || (i + 1 == count && par.keep_with_next);
                slab
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn set_line(
        &self,
        par: &Paragraph,
        pieces: &[Piece],
        last: bool,
        first: bool,
        x: f32,
        width: f32,
        default_size: f32,
    ) -> Slab {
        let size = pieces
            .iter()
            .map(Piece::size)
            .fold(0.0f32, f32::max)
            .max(if pieces.is_empty() { default_size } else { 0.0 });
        let height = size * par.leading;
        let baseline = (height - (self.ascent + self.descent) * size) / 2.0 + self.ascent * size;
        let indent = par.left_indent + if first { par.first_indent } else { 0.0 };
        let avail = (width - indent).max(0.0);
        let natural: f32 = pieces.iter().map(Piece::width).sum();
        let spaces = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Space { .. }))
            .count();
        let slack = (avail - natural).max(0.0);
        let extra = if par.align == Align::Justify && !last && spaces > 0 {
            slack / spaces as f32
        } else {
            0.0
        };
        let offset = match par.align {
            Align::Center => slack / 2.0,
            Align::Right => slack,
            Align::Left | Align::Justify => 0.0,
        };
        let mut draws: Vec<Draw> = Vec::new();
        let mut pen = x + indent + offset;
        for piece in pieces {
            let (font, size, codes): (u8, f32, Vec<(u16, f32, f32)>) = match piece {
                Piece::Glyphs {
                    font, size, glyphs, ..
                } => (
                    *font,
                    *size,
                    glyphs.iter().map(|(c, a)| (*c, *a, 0.0)).collect(),
                ),
                Piece::Space {
                    font,
                    size,
                    code,
                    width,
                } => (*font, *size, vec![(*code, *width, extra)]),
            };
            for (code, advance, after) in codes {
                let joins = matches!(draws.last(), Some(Draw::Text { font: f, size: s, .. }) if *f == font && *s == size);
                if !joins {
                    draws.push(Draw::Text {
                        x: pen,
                        y: baseline,
                        font,
                        size,
                        glyphs: Vec::new(),
                        width: 0.0,
                    });
                }
                if let Some(Draw::Text { glyphs, width, .. }) = draws.last_mut() {
                    glyphs.push((code, after));
                    *width += advance + after;
                }
                pen += advance + after;
            }
        }
        Slab {
            height,
            draws,
            ..Slab::default()
        }
    }
}

/// Breaks a paragraph's words into lines.
struct LineBreaker<'p> {
    par: &'p Paragraph,
    width: f32,
    /// Finished lines, each marked when it ends a paragraph or a forced break.
    lines: Vec<(Vec<Piece>, bool)>,
    current: Vec<Piece>,
    current_width: f32,
    pending_space: Option<Piece>,
}

impl LineBreaker<'_> {
    fn avail(&self) -> f32 {
        let first = if self.lines.is_empty() {
            self.par.first_indent
        } else {
            0.0
        };
        (self.width - self.par.left_indent - first).max(1.0)
    }

    fn finish(&mut self, last: bool) {
        self.lines.push((std::mem::take(&mut self.current), last));
        self.current_width = 0.0;
        self.pending_space = None;
    }

    fn push(&mut self, piece: Piece) {
        self.current_width += piece.width();
        self.current.push(piece);
    }

    fn place(&mut self, word: Vec<Piece>) {
        if word.is_empty() {
            return;
        }
        let word_width: f32 = word.iter().map(Piece::width).sum();
        let space = self.pending_space.take();
        // A hair of tolerance so that text measured to fit exactly is not pushed down.
        let tolerance = 0.01;
        if !self.current.is_empty() {
            let space_width = space.as_ref().map_or(0.0, Piece::width);
            if self.current_width + space_width + word_width <= self.avail() + tolerance {
                if let Some(space) = space {
                    self.push(space);
                }
                word.into_iter().for_each(|p| self.push(p));
                return;
            }
            self.finish(false);
        }
        if word_width <= self.avail() + tolerance {
            word.into_iter().for_each(|p| self.push(p));
            return;
        }
        // Longer than a line: cut between letters.
        for piece in word {
            let Piece::Glyphs {
                font, size, glyphs, ..
            } = piece
            else {
                continue;
            };
            for (code, advance) in glyphs {
                if !self.current.is_empty() && self.current_width + advance > self.avail() {
                    self.finish(false);
                }
                match self.current.last_mut() {
                    Some(Piece::Glyphs {
                        font: f,
                        size: s,
                        glyphs,
                        width,
                    }) if *f == font && *s == size => {
                        glyphs.push((code, advance));
                        *width += advance;
                    }
                    _ => self.current.push(Piece::Glyphs {
                        font,
                        size,
                        glyphs: vec![(code, advance)],
                        width: advance,
                    }),
                }
                self.current_width += advance;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::dejavu()
    }

    fn regular(size: f32) -> Style {
        Style::new(Face::Regular, size)
    }

    fn text_extent(slab: &Slab) -> (f32, f32) {
        let mut min = f32::MAX;
        let mut max = f32::MIN;
        for d in &slab.draws {
            if let Draw::Text { x, width, .. } = d {
                min = min.min(*x);
                max = max.max(x + width);
            }
        }
        (min, max)
    }

    #[test]
    fn justified_lines_fill_the_width_but_the_last() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let words = "Ủy ban nhân dân xã đã thảo luận và thống nhất các nội dung. ".repeat(12);
        let par = Paragraph::new(Align::Justify)
            .span(words, regular(14.0))
            .first_indent(28.0);
        let lines = ts.lines(&par, 85.0, 400.0);
        assert!(lines.len() > 3, "{}", lines.len());
        let (first_left, first_right) = text_extent(&lines[0]);
        assert!((first_left - 113.0).abs() < 0.01, "indent: {first_left}");
        assert!(
            (first_right - 485.0).abs() < 0.05,
            "flush right: {first_right}"
        );
        let (left, right) = text_extent(&lines[1]);
        assert!((left - 85.0).abs() < 0.01 && (right - 485.0).abs() < 0.05);
        let (_, last_right) = text_extent(lines.last().unwrap());
        assert!(last_right < 480.0, "last line ragged: {last_right}");
        assert!(lines[0].keep_with_next && !lines[1].keep_with_next);
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut_between_letters() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let par = Paragraph::new(Align::Justify).span("Đ".repeat(300), regular(14.0));
        let lines = ts.lines(&par, 85.0, 200.0);
        assert!(lines.len() >= 10, "{}", lines.len());
        for line in &lines {
            let (left, right) = text_extent(line);
            assert!(left >= 85.0 && right <= 285.01, "{left}..{right}");
        }
    }

    #[test]
    fn centred_text_is_centred() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let par = Paragraph::new(Align::Center).span("BIÊN BẢN", Style::new(Face::Bold, 14.0));
        let lines = ts.lines(&par, 100.0, 300.0);
        let (left, right) = text_extent(&lines[0]);
        assert!(((left - 100.0) - (400.0 - right)).abs() < 0.01);
    }

    #[test]
    fn characters_no_face_has_fall_back_without_failing() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let lines = ts.lines(
            &Paragraph::new(Align::Left).span("Họp 😀 中文 ✓", regular(12.0)),
            0.0,
            400.0,
        );
        let fallback_used = lines[0]
            .draws
            .iter()
            .any(|d| matches!(d, Draw::Text { font, .. } if *font == FALLBACK_FONT));
        assert!(
            fallback_used,
            "✓ and the replacement character come from DejaVu Sans"
        );
        assert!(!ts.faces[usize::from(FALLBACK_FONT)].is_unused());
        assert!(
            ts.faces[usize::from(FALLBACK_FONT)]
                .to_unicode_cmap()
                .contains("<FFFD>")
        );
    }

    #[test]
    fn forced_breaks_and_spaces() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let par = Paragraph::new(Align::Justify).span("  một   hai\nba  ", regular(12.0));
        let lines = ts.lines(&par, 0.0, 400.0);
        assert_eq!(lines.len(), 2);
        let (left, right) = text_extent(&lines[0]);
        assert_eq!(left, 0.0, "leading spaces dropped");
        assert!(
            right < 100.0,
            "a line ended by a break is not justified: {right}"
        );
    }
}
