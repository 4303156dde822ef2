//! Blocks of styled text set into lines: paragraphs wrapped at spaces (a word longer than the
//! line is cut between letters) and justified, centred or flush; short rules; side-by-side
//! columns kept together; tables whose rows are cut between lines only when a row is taller
//! than a page; reserved rooms (where a signature goes). The result is a list of slabs, each
//! a strip of drawings in top-down coordinates, that `page` deals onto pages.
//!
//! Glyphs come from the four styles of the family, or, for a character none of them has,
//! from DejaVu Sans, else the replacement character: text never fails to set.

use std::collections::HashMap;

use super::family::Fonts;
use super::font::FaceSubset;
use crate::error::ApiError;

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// One of the family's four styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Regular,
    Bold,
    Italic,
    BoldItalic,
}

impl Face {
    fn index(self) -> u8 {
        match self {
            Self::Regular => 0,
            Self::Bold => 1,
            Self::Italic => 2,
            Self::BoldItalic => 3,
        }
    }

    pub fn is_bold(self) -> bool {
        matches!(self, Self::Bold | Self::BoldItalic)
    }

    pub fn is_italic(self) -> bool {
        matches!(self, Self::Italic | Self::BoldItalic)
    }
}

/// Index of DejaVu Sans among the typesetter's faces: the fallback for missing characters.
pub const FALLBACK_FONT: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub face: Face,
    /// In points.
    pub size: f32,
}

impl Style {
    pub const fn new(face: Face, size: f32) -> Self {
        Self { face, size }
    }
}

/// Text in one style; `\n` breaks the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    /// Flush both sides but for the paragraph's last line and lines ended by `\n`.
    Justify,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub spans: Vec<Span>,
    pub align: Align,
    /// Extra indent of the first line, in points.
    pub first_indent: f32,
    pub left_indent: f32,
    pub space_before: f32,
    pub space_after: f32,
    /// Line height as a multiple of the font size.
    pub leading: f32,
    /// Kept on the page of what follows (headings, the line before the signatures).
    pub keep_with_next: bool,
}

impl Paragraph {
    pub fn new(align: Align) -> Self {
        Self {
            spans: Vec::new(),
            align,
            first_indent: 0.0,
            left_indent: 0.0,
            space_before: 0.0,
            space_after: 0.0,
            leading: 1.25,
            keep_with_next: false,
        }
    }

    pub fn span(mut self, text: impl Into<String>, style: Style) -> Self {
        self.spans.push(Span {
            text: text.into(),
            style,
        });
        self
    }

    pub fn first_indent(mut self, points: f32) -> Self {
        self.first_indent = points;
        self
    }

    pub fn left_indent(mut self, points: f32) -> Self {
        self.left_indent = points;
        self
    }

    pub fn space_before(mut self, points: f32) -> Self {
        self.space_before = points;
        self
    }

    pub fn space_after(mut self, points: f32) -> Self {
        self.space_after = points;
        self
    }

    pub fn leading(mut self, factor: f32) -> Self {
        self.leading = factor;
        self
    }

    pub fn keep_with_next(mut self) -> Self {
        self.keep_with_next = true;
        self
    }

    /// The text of all spans.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A horizontal rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub width: f32,
    pub align: Align,
    pub thickness: f32,
    pub space_before: f32,
    pub space_after: f32,
}

/// A column of a `Block::Columns`.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub width: f32,
    pub blocks: Vec<Block>,
}

/// A ruled table; its header row is repeated on each page it continues on.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Relative column widths, scaled to the width available.
    pub widths: Vec<f32>,
    pub header: Vec<Paragraph>,
    pub rows: Vec<Vec<Paragraph>>,
    /// Inside each cell, in points.
    pub padding: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Paragraph),
    Rule(Rule),
    /// Vertical space, dropped at the top of a page.
    Space(f32),
    /// Columns side by side, kept on one page.
    Columns(Vec<Column>),
    Table(Table),
    /// Empty room for something placed later (a signature), centred in its column.
    Room {
        id: &'static str,
        width: f32,
        height: f32,
    },
}

/// Something drawn, in top-down coordinates (y grows downwards from the slab's or page's top).
#[derive(Debug, Clone, PartialEq)]
pub enum Draw {
    /// Glyphs on a baseline at `y`: each glyph's code with extra space after it, in points.
    Text {
        x: f32,
        y: f32,
        font: u8,
        size: f32,
        glyphs: Vec<(u16, f32)>,
        width: f32,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

impl Draw {
    /// Top and bottom extent.
    fn span_y(&self) -> (f32, f32) {
        match self {
            Self::Text { y, size, .. } => (y - size, y + size * 0.3),
            Self::Line { y1, y2, width, .. } => (y1.min(*y2) - width, y1.max(*y2) + width),
        }
    }

    fn shift(&mut self, dx: f32, dy: f32) {
        match self {
            Self::Text { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Self::Line { x1, y1, x2, y2, .. } => {
                *x1 += dx;
                *x2 += dx;
                *y1 += dy;
                *y2 += dy;
            }
        }
    }
}

/// A reserved room, top-down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Room {
    pub id: &'static str,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// A horizontal strip of the flow: drawn whole on one page.
#[derive(Debug, Clone, Default)]
pub struct Slab {
    pub height: f32,
    pub draws: Vec<Draw>,
    pub rooms: Vec<Room>,
    /// Space only: dropped at the top of a page.
    pub glue: bool,
    pub keep_with_next: bool,
    /// A row of this table (index into the headers): the header goes first on a new page.
    pub row_of: Option<usize>,
    /// The header of this table.
    pub header_of: Option<usize>,
}

impl Slab {
    fn glue(height: f32) -> Self {
        Self {
            height,
            glue: true,
            ..Self::default()
        }
    }

    fn shift(&mut self, dx: f32, dy: f32) {
        for draw in &mut self.draws {
            draw.shift(dx, dy);
        }
        for room in &mut self.rooms {
            room.x += dx;
            room.y += dy;
        }
    }
}

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

    /// The flow of `blocks` set in `width` from `x`; rows and kept-together blocks are cut
    /// to at most `max_height`. Table headers are pushed to `headers`.
    pub fn slabs(
        &mut self,
        blocks: &[Block],
        x: f32,
        width: f32,
        max_height: f32,
        headers: &mut Vec<Slab>,
    ) -> Vec<Slab> {
        let mut out = Vec::new();
        for block in blocks {
            match block {
                Block::Paragraph(par) => {
                    if par.space_before > 0.0 {
                        out.push(Slab::glue(par.space_before));
                    }
                    out.extend(self.lines(par, x, width));
                    if par.space_after > 0.0 {
                        out.push(Slab::glue(par.space_after));
                    }
                }
                Block::Space(h) => out.push(Slab::glue(*h)),
                Block::Rule(rule) => {
                    let w = rule.width.min(width);
                    let x1 = x + match rule.align {
                        Align::Center => (width - w) / 2.0,
                        Align::Right => width - w,
                        Align::Left | Align::Justify => 0.0,
                    };
                    let y = rule.space_before + rule.thickness / 2.0;
                    out.push(Slab {
                        height: rule.space_before + rule.thickness + rule.space_after,
                        draws: vec![Draw::Line {
                            x1,
                            y1: y,
                            x2: x1 + w,
                            y2: y,
                            width: rule.thickness,
                        }],
                        ..Slab::default()
                    });
                }
                Block::Room {
                    id,
                    width: w,
                    height,
                } => {
                    let w = w.min(width);
                    out.push(Slab {
                        height: *height,
                        rooms: vec![Room {
                            id: *id,
                            x: x + (width - w) / 2.0,
                            y: 0.0,
                            width: w,
                            height: *height,
                        }],
                        ..Slab::default()
                    });
                }
                Block::Columns(columns) => {
                    let mut together = Slab::default();
                    let mut cx = x;
                    for column in columns {
                        let inner = self.slabs(&column.blocks, cx, column.width, f32::MAX, headers);
                        let stacked = stack(inner);
                        together.height = together.height.max(stacked.height);
                        together.draws.extend(stacked.draws);
                        together.rooms.extend(stacked.rooms);
                        cx += column.width;
                    }
                    out.extend(cut(together, max_height));
                }
                Block::Table(table) => {
                    out.extend(self.table(table, x, width, max_height, headers));
                }
            }
        }
        out
    }

    fn table(
        &mut self,
        table: &Table,
        x: f32,
        width: f32,
        max_height: f32,
        headers: &mut Vec<Slab>,
    ) -> Vec<Slab> {
        let total: f32 = table.widths.iter().sum();
        let widths: Vec<f32> = table
            .widths
            .iter()
            .map(|w| w / total.max(f32::EPSILON) * width)
            .collect();
        let mut header = self.row(&table.header, x, &widths, table.padding, f32::MAX, true);
        let mut header = header.remove(0);
        let index = headers.len();
        header.keep_with_next = true;
        header.header_of = Some(index);
        headers.push(header.clone());
        let room = (max_height - header.height).max(max_height / 2.0);
        let mut out = vec![header];
        for cells in &table.rows {
            for mut slab in self.row(cells, x, &widths, table.padding, room, false) {
                slab.row_of = Some(index);
                out.push(slab);
            }
        }
        out
    }

    /// One row, as one slab or, when taller than `max_height`, several cut between lines.
    fn row(
        &mut self,
        cells: &[Paragraph],
        x: f32,
        widths: &[f32],
        pad: f32,
        max_height: f32,
        top_border: bool,
    ) -> Vec<Slab> {
        let mut columns: Vec<std::collections::VecDeque<Slab>> = Vec::new();
        let mut cx = x;
        for (i, w) in widths.iter().enumerate() {
            let lines = cells
                .get(i)
                .map(|par| self.lines(par, cx + pad, (w - 2.0 * pad).max(1.0)))
                .unwrap_or_default();
            columns.push(lines.into());
            cx += w;
        }
        let inner = (max_height - 2.0 * pad).max(1.0);
        let mut out = Vec::new();
        loop {
            let mut slab = Slab::default();
            let mut tallest = 0.0f32;
            for lines in &mut columns {
                let mut y = pad;
                while let Some(line) = lines.front() {
                    let taken = y - pad;
                    if taken > 0.0 && taken + line.height > inner {
                        break;
                    }
                    if let Some(mut line) = lines.pop_front() {
                        line.shift(0.0, y);
                        y += line.height;
                        slab.draws.extend(line.draws);
                    }
                }
                tallest = tallest.max(y - pad);
            }
            slab.height = tallest + 2.0 * pad;
            let right = x + widths.iter().sum::<f32>();
            let rule = |x1, y1, x2, y2| Draw::Line {
                x1,
                y1,
                x2,
                y2,
                width: 0.5,
            };
            if top_border && out.is_empty() {
                slab.draws.push(rule(x, 0.0, right, 0.0));
            }
            slab.draws.push(rule(x, slab.height, right, slab.height));
            let mut edge = x;
            slab.draws.push(rule(edge, 0.0, edge, slab.height));
            for w in widths {
                edge += w;
                slab.draws.push(rule(edge, 0.0, edge, slab.height));
            }
            out.push(slab);
            if columns.iter().all(|c| c.is_empty()) {
                return out;
            }
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

/// Slabs one under the other, as one.
fn stack(slabs: Vec<Slab>) -> Slab {
    let mut out = Slab::default();
    for mut slab in slabs {
        if !slab.glue {
            slab.shift(0.0, out.height);
            out.draws.extend(slab.draws);
            out.rooms.extend(slab.rooms);
        }
        out.height += slab.height;
    }
    out
}

/// A slab taller than `max_height` cut into pieces between its drawings.
fn cut(slab: Slab, max_height: f32) -> Vec<Slab> {
    if slab.height <= max_height {
        return vec![slab];
    }
    let mut items: Vec<(f32, f32, Result<Draw, Room>)> = slab
        .draws
        .into_iter()
        .map(|d| {
            let (top, bottom) = d.span_y();
            (top.max(0.0), bottom, Ok(d))
        })
        .chain(
            slab.rooms
                .into_iter()
                .map(|r| (r.y, r.y + r.height, Err(r))),
        )
        .collect();
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Slab> = Vec::new();
    let mut start = 0.0f32;
    let mut current = Slab::default();
    for (top, bottom, item) in items {
        if bottom - start > max_height && top > start {
            current.height = (top - start).min(max_height);
            out.push(std::mem::take(&mut current));
            start = top;
        }
        match item {
            Ok(mut draw) => {
                draw.shift(0.0, -start);
                current.draws.push(draw);
            }
            Err(mut room) => {
                room.y -= start;
                current.rooms.push(room);
            }
        }
    }
    current.height = (slab.height - start).min(max_height);
    out.push(current);
    out
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

    #[test]
    fn a_row_taller_than_the_room_is_cut() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let table = Table {
            widths: vec![1.0, 3.0],
            header: vec![
                Paragraph::new(Align::Center).span("STT", regular(12.0)),
                Paragraph::new(Align::Center).span("Ghi chú", regular(12.0)),
            ],
            rows: vec![vec![
                Paragraph::new(Align::Left).span("1", regular(12.0)),
                Paragraph::new(Align::Left).span("chữ ".repeat(2000), regular(12.0)),
            ]],
            padding: 3.0,
        };
        let mut headers = Vec::new();
        let slabs = ts.slabs(&[Block::Table(table)], 0.0, 400.0, 300.0, &mut headers);
        assert_eq!(headers.len(), 1);
        assert!(slabs.len() > 3, "{}", slabs.len());
        for slab in &slabs[1..] {
            assert_eq!(slab.row_of, Some(0));
            assert!(
                slab.height <= 300.0 - headers[0].height + 0.01,
                "{}",
                slab.height
            );
        }
    }

    #[test]
    fn columns_too_tall_are_cut_between_lines() {
        let fonts = fonts();
        let mut ts = Typesetter::new(&fonts).unwrap();
        let tall = Block::Columns(vec![Column {
            width: 200.0,
            blocks: vec![Block::Paragraph(
                Paragraph::new(Align::Left).span("UBND ".repeat(400), regular(13.0)),
            )],
        }]);
        let slabs = ts.slabs(&[tall], 0.0, 400.0, 250.0, &mut Vec::new());
        assert!(slabs.len() > 2);
        for slab in &slabs {
            assert!(slab.height <= 250.0);
            for d in &slab.draws {
                let (top, bottom) = d.span_y();
                // A line's extent is estimated from its size: a hair above the slab's top.
                assert!(
                    top >= -1.0 && bottom <= slab.height + 13.0,
                    "{top} {bottom}"
                );
            }
        }
    }
}
