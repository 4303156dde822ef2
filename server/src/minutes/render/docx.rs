//! The biên bản's blocks as a .docx (with `docx-rs`): the same paragraphs, header columns
//! (a table without borders), attendance table, rules (paragraph borders) and signature rooms
//! (empty paragraphs of the room's height) that the PDF sets, in Times New Roman on A4 with the
//! decree's margins; page numbers from page 2 in the header, "DỰ THẢO" there on a draft.

use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, Header, LineSpacing, LineSpacingType, PageMargin,
    PageNum, Paragraph as DocxParagraph, ParagraphBorder, ParagraphBorderPosition,
    ParagraphBorders, Run, RunFonts, SpecialIndentType, Table as DocxTable, TableCell,
    TableLayoutType, TableRow, WidthType,
};

use super::DRAFT_MARK;
use crate::error::ApiError;
use crate::typeset::layout::{Align, Block, Paragraph, Rule, Table};
use crate::typeset::page::Frame;

const FONT: &str = "Times New Roman";

/// Points to twentieths of a point (twips), Word's unit of length.
fn twips(points: f32) -> i32 {
    (points * 20.0).round() as i32
}

/// Either element a docx body or table cell holds (both large: boxed).
enum Element {
    Paragraph(Box<DocxParagraph>),
    Table(Box<DocxTable>),
}

pub fn write(
    blocks: &[Block],
    frame: &Frame,
    draft: bool,
    title: &str,
) -> Result<Vec<u8>, ApiError> {
    let fonts = RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT);
    let mut doc = Docx::new()
        .page_size(twips(frame.width) as u32, twips(frame.height) as u32)
        .page_margin(
            PageMargin::new()
                .top(twips(frame.top))
                .bottom(twips(frame.bottom))
                .left(twips(frame.left))
                .right(twips(frame.right))
                .header(twips(frame.top / 2.0 - 7.0))
                .footer(twips(frame.bottom / 2.0))
                .gutter(0),
        )
        .default_fonts(fonts)
        .default_size(28)
        .custom_property("Title", crate::typeset::text::one_line(title));
    let mark = || {
        DocxParagraph::new().align(AlignmentType::Right).add_run(
            Run::new()
                .add_text(DRAFT_MARK)
                .bold()
                .color("808080")
                .size(26),
        )
    };
    let mut numbers = Header::new().add_paragraph(
        DocxParagraph::new()
            .align(AlignmentType::Center)
            .add_page_num(PageNum::new()),
    );
    let mut first = Header::new();
    if draft {
        numbers = numbers.add_paragraph(mark());
        first = first.add_paragraph(mark());
    }
    doc = doc.header(numbers).first_header(first).title_pg();
    for element in elements(blocks, frame.body_width()) {
        doc = match element {
            Element::Paragraph(p) => doc.add_paragraph(*p),
            Element::Table(t) => doc.add_table(*t),
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("docx: {e}")))?;
    Ok(out.into_inner())
}

fn elements(blocks: &[Block], width: f32) -> Vec<Element> {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph(p) => out.push(Element::Paragraph(Box::new(paragraph(p)))),
            Block::Space(h) => out.push(Element::Paragraph(Box::new(gap(*h)))),
            Block::Room { height, .. } => out.push(Element::Paragraph(Box::new(gap(*height)))),
            Block::Rule(rule) => {
                out.push(Element::Paragraph(Box::new(rule_paragraph(rule, width))))
            }
            Block::Columns(columns) => {
                let cells = columns
                    .iter()
                    .map(|c| {
                        cell(elements(&c.blocks, c.width))
                            .width(twips(c.width) as usize, WidthType::Dxa)
                    })
                    .collect();
                out.push(Element::Table(Box::new(
                    DocxTable::without_borders(vec![TableRow::new(cells)])
                        .set_grid(columns.iter().map(|c| twips(c.width) as usize).collect())
                        .layout(TableLayoutType::Fixed)
                        .width(twips(width) as usize, WidthType::Dxa),
                )));
                // Word joins two tables that touch; a paragraph keeps them apart.
                out.push(Element::Paragraph(Box::new(gap(1.0))));
            }
            Block::Table(table) => {
                out.push(Element::Table(Box::new(ruled_table(table, width))));
                out.push(Element::Paragraph(Box::new(gap(1.0))));
            }
        }
    }
    out
}

fn cell(elements: Vec<Element>) -> TableCell {
    let mut cell = TableCell::new();
    let mut any = false;
    for element in elements {
        any = true;
        cell = match element {
            Element::Paragraph(p) => cell.add_paragraph(*p),
            Element::Table(t) => cell.add_table(*t),
        };
    }
    if !any {
        // A cell must hold a paragraph.
        cell = cell.add_paragraph(DocxParagraph::new());
    }
    cell
}

fn ruled_table(table: &Table, width: f32) -> DocxTable {
    let total: f32 = table.widths.iter().sum();
    let widths: Vec<usize> = table
        .widths
        .iter()
        .map(|w| twips(w / total.max(f32::EPSILON) * width) as usize)
        .collect();
    let row = |cells: &[Paragraph]| {
        TableRow::new(
            cells
                .iter()
                .zip(&widths)
                .map(|(p, w)| {
                    TableCell::new()
                        .add_paragraph(paragraph(p))
                        .width(*w, WidthType::Dxa)
                })
                .collect(),
        )
        .cant_split()
    };
    let mut rows = vec![row(&table.header)];
    rows.extend(table.rows.iter().map(|r| row(r)));
    DocxTable::new(rows)
        .set_grid(widths.clone())
        .layout(TableLayoutType::Fixed)
        .width(twips(width) as usize, WidthType::Dxa)
}

fn paragraph(p: &Paragraph) -> DocxParagraph {
    let align = match p.align {
        Align::Left => AlignmentType::Left,
        Align::Center => AlignmentType::Center,
        Align::Right => AlignmentType::Right,
        Align::Justify => AlignmentType::Both,
    };
    // Word's single spacing of Times New Roman is about 1.15 of the size.
    let line = (240.0 * p.leading / 1.15).round() as i32;
    let mut out = DocxParagraph::new()
        .align(align)
        .line_spacing(
            LineSpacing::new()
                .before(twips(p.space_before).max(0) as u32)
                .after(twips(p.space_after).max(0) as u32)
                .line(line)
                .line_rule(LineSpacingType::Auto),
        )
        .keep_next(p.keep_with_next)
        .widow_control(true);
    if p.first_indent != 0.0 || p.left_indent != 0.0 {
        out = out.indent(
            Some(twips(p.left_indent)),
            Some(SpecialIndentType::FirstLine(twips(p.first_indent))),
            None,
            None,
        );
    }
    for span in &p.spans {
        for (i, piece) in span.text.split('\n').enumerate() {
            let mut run = Run::new().size((span.style.size * 2.0).round() as usize);
            if i > 0 {
                run = run.add_break(BreakType::TextWrapping);
            }
            run = run.add_text(piece);
            if span.style.face.is_bold() {
                run = run.bold();
            }
            if span.style.face.is_italic() {
                run = run.italic();
            }
            out = out.add_run(run);
        }
    }
    out
}

/// An empty paragraph exactly `height` points high.
fn gap(height: f32) -> DocxParagraph {
    DocxParagraph::new()
        .line_spacing(
            LineSpacing::new()
                .before(0)
                .after(0)
                .line(twips(height).max(20))
                .line_rule(LineSpacingType::Exact),
        )
        .add_run(Run::new().size(2))
}

/// A rule: an empty paragraph indented to the rule's width, with a bottom border.
fn rule_paragraph(rule: &Rule, width: f32) -> DocxParagraph {
    let w = rule.width.min(width);
    let (left, right) = match rule.align {
        Align::Center => ((width - w) / 2.0, (width - w) / 2.0),
        Align::Right => (width - w, 0.0),
        Align::Left | Align::Justify => (0.0, width - w),
    };
    let border = ParagraphBorder::new(ParagraphBorderPosition::Bottom)
        .val(BorderType::Single)
        .size(((rule.thickness * 8.0).round() as usize).max(2))
        .space(0)
        .color("000000");
    DocxParagraph::new()
        .line_spacing(
            LineSpacing::new()
                .before(0)
                .after(twips(rule.space_after).max(0) as u32)
                .line(twips(rule.space_before).max(20))
                .line_rule(LineSpacingType::Exact),
        )
        .add_run(Run::new().size(2))
        .indent(Some(twips(left)), None, Some(twips(right)), None)
        .set_borders(ParagraphBorders::with_empty().set(border))
}
