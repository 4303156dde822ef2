//! Slabs dealt onto pages: a slab that does not fit goes to the next page, with the slabs it
//! is kept with; space at the top of a page is dropped; a table row opening a page brings its
//! table's header with it.

use super::layout::{Draw, MM, Room, Slab};

/// A page's size and margins, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub width: f32,
    pub height: f32,
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    pub right: f32,
}

impl Frame {
    /// A4 portrait with the margins of Nghị định 30/2020: top and bottom 20 mm, left 30 mm,
    /// right 15 mm.
    pub const fn a4_nd30() -> Self {
        Self {
            width: 595.28,
            height: 841.89,
            top: 20.0 * MM,
            bottom: 20.0 * MM,
            left: 30.0 * MM,
            right: 15.0 * MM,
        }
    }

    pub fn body_width(&self) -> f32 {
        self.width - self.left - self.right
    }

    pub fn body_height(&self) -> f32 {
        self.height - self.top - self.bottom
    }
}

/// One page's drawings and rooms, top-down from the page's top edge.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub draws: Vec<Draw>,
    pub rooms: Vec<Room>,
}

/// Deals `slabs` onto pages of `frame`; `headers` are the tables' header rows.
pub fn paginate(slabs: Vec<Slab>, headers: &[Slab], frame: &Frame) -> Vec<Page> {
    let body = frame.body_height();
    let mut pages = vec![Page::default()];
    let mut y = 0.0f32;
    let mut header_on_page: Option<usize> = None;
    let heights: Vec<(f32, bool, bool)> = slabs
        .iter()
        .map(|s| (s.height, s.glue, s.keep_with_next))
        .collect();
    for (i, slab) in slabs.into_iter().enumerate() {
        if slab.glue {
            if y > 0.0 {
                if y + slab.height > body {
                    pages.push(Page::default());
                    y = 0.0;
                    header_on_page = None;
                } else {
                    y += slab.height;
                }
            }
            continue;
        }
        let header_height = |on_page: Option<usize>| {
            slab.row_of
                .filter(|t| on_page != Some(*t))
                .and_then(|t| headers.get(t))
                .map_or(0.0, |h| h.height)
        };
        // What must go on this page with the slab: what it is kept with.
        let own = header_height(header_on_page) + slab.height;
        let mut chain = own;
        let mut j = i;
        let mut linked = slab.keep_with_next;
        while linked && j + 1 < heights.len() && chain <= body {
            j += 1;
            let (height, glue, keep) = heights[j];
            chain += height;
            linked = glue || keep;
        }
        // A hair of tolerance: float sums of heights that fit exactly must fit.
        let fits_alone = y + own <= body + 0.01;
        let fits_chain = y + chain <= body + 0.01 || chain > body;
        if y > 0.0 && !(fits_alone && fits_chain) {
            pages.push(Page::default());
            y = 0.0;
            header_on_page = None;
        }
        let page = pages.len() - 1;
        if let Some(t) = slab.row_of
            && header_on_page != Some(t)
            && let Some(header) = headers.get(t)
        {
            place(&mut pages[page], header.clone(), frame, y);
            y += header.height;
            header_on_page = Some(t);
        }
        if let Some(t) = slab.header_of {
            header_on_page = Some(t);
        }
        let height = slab.height;
        place(&mut pages[page], slab, frame, y);
        y += height;
    }
    pages
}

fn place(page: &mut Page, slab: Slab, frame: &Frame, y: f32) {
    let dy = frame.top + y;
    for mut draw in slab.draws {
        match &mut draw {
            Draw::Text { y, .. } => *y += dy,
            Draw::Line { y1, y2, .. } => {
                *y1 += dy;
                *y2 += dy;
            }
        }
        page.draws.push(draw);
    }
    for mut room in slab.rooms {
        room.y += dy;
        page.rooms.push(room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(height: f32, keep: bool) -> Slab {
        Slab {
            height,
            // Its top and bottom edges.
            draws: [0.0, height]
                .into_iter()
                .map(|y| Draw::Line {
                    x1: 0.0,
                    y1: y,
                    x2: 10.0,
                    y2: y,
                    width: 1.0,
                })
                .collect(),
            keep_with_next: keep,
            ..Slab::default()
        }
    }

    fn glue(height: f32) -> Slab {
        Slab {
            height,
            glue: true,
            ..Slab::default()
        }
    }

    fn tops(page: &Page) -> Vec<f32> {
        page.draws
            .iter()
            .map(|d| match d {
                Draw::Line { y1, .. } => *y1,
                Draw::Text { y, .. } => *y,
            })
            .collect()
    }

    fn frame() -> Frame {
        Frame {
            width: 100.0,
            height: 120.0,
            top: 10.0,
            bottom: 10.0,
            left: 10.0,
            right: 10.0,
        }
    }

    #[test]
    fn slabs_flow_onto_the_next_page_and_space_at_the_top_is_dropped() {
        let slabs = vec![
            content(40.0, false),
            content(40.0, false),
            glue(15.0),
            content(40.0, false),
        ];
        let pages = paginate(slabs, &[], &frame());
        assert_eq!(pages.len(), 2);
        assert_eq!(tops(&pages[0]), vec![10.0, 50.0, 50.0, 90.0]);
        assert_eq!(
            tops(&pages[1]),
            vec![10.0, 50.0],
            "the glue did not open page 2"
        );
    }

    #[test]
    fn a_heading_goes_with_what_follows() {
        let slabs = vec![
            content(60.0, false),
            content(20.0, true),
            glue(5.0),
            content(30.0, false),
        ];
        let pages = paginate(slabs, &[], &frame());
        assert_eq!(pages.len(), 2);
        assert_eq!(tops(&pages[0]), vec![10.0, 70.0]);
        assert_eq!(tops(&pages[1]), vec![10.0, 30.0, 35.0, 65.0]);
    }

    #[test]
    fn rows_opening_a_page_bring_the_header() {
        let mut header = content(10.0, true);
        header.header_of = Some(0);
        let headers = vec![header.clone()];
        let mut slabs = vec![header];
        for _ in 0..5 {
            let mut row = content(30.0, false);
            row.row_of = Some(0);
            slabs.push(row);
        }
        let pages = paginate(slabs, &headers, &frame());
        assert_eq!(pages.len(), 2);
        assert_eq!(
            tops(&pages[0]),
            vec![10.0, 20.0, 20.0, 50.0, 50.0, 80.0, 80.0, 110.0]
        );
        assert_eq!(
            tops(&pages[1]),
            vec![10.0, 20.0, 20.0, 50.0, 50.0, 80.0],
            "header repeated"
        );
    }

    #[test]
    fn nothing_leaves_the_body() {
        let slabs: Vec<Slab> = (0..50)
            .map(|i| content(7.0 + (i % 5) as f32, i % 3 == 0))
            .collect();
        let pages = paginate(slabs, &[], &frame());
        for page in &pages {
            for edge in tops(page) {
                assert!((10.0..=110.0).contains(&edge), "{edge}");
            }
        }
    }
}
