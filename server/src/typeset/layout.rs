//! The document model of the typesetter: blocks of styled text as callers describe a
//! document (paragraphs, rules, side-by-side columns, ruled tables, reserved rooms), and what
//! setting them gives: drawings in top-down coordinates grouped in slabs, horizontal strips
//! that `page` deals onto pages whole.

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
    pub(crate) fn index(self) -> u8 {
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
    pub(crate) fn span_y(&self) -> (f32, f32) {
        match self {
            Self::Text { y, size, .. } => (y - size, y + size * 0.3),
            Self::Line { y1, y2, width, .. } => (y1.min(*y2) - width, y1.max(*y2) + width),
        }
    }

    pub(crate) fn shift(&mut self, dx: f32, dy: f32) {
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
    pub(crate) fn glue(height: f32) -> Self {
        Self {
            height,
            glue: true,
            ..Self::default()
        }
    }

    pub(crate) fn shift(&mut self, dx: f32, dy: f32) {
        for draw in &mut self.draws {
            draw.shift(dx, dy);
        }
        for room in &mut self.rooms {
            room.x += dx;
            room.y += dy;
        }
    }
}
