//! Blocks to slabs: paragraphs as their lines, rules, reserved rooms, columns side by side kept
//! together (cut between lines only when taller than a page), tables as a header and rows,
//! a row cut between lines only when taller than the room a page has for it.

use std::collections::VecDeque;

use super::layout::{Align, Block, Draw, Paragraph, Room, Slab, Table};
use super::setter::Typesetter;

impl Typesetter<'_> {
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
                            id,
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
        let mut columns: Vec<VecDeque<Slab>> = Vec::new();
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
    use crate::typeset::family::Fonts;
    use crate::typeset::layout::{Column, Face, Style};

    fn fonts() -> Fonts {
        Fonts::dejavu()
    }

    fn regular(size: f32) -> Style {
        Style::new(Face::Regular, size)
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
