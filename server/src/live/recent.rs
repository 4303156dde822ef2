//! A room's most recent durable events, as the websocket frames sessions are sent.
//!
//! Owns: a window of consecutive seqs and their encoded frames, filled by the dispatcher as it
//! fans events out and by sessions as they read older ones from the database. A session that
//! joins (or comes back after a dropped Wi-Fi) replays from here the events the room already
//! holds: the same bytes for every session, instead of each one reading, parsing and encoding
//! the meeting's history again.
//! Must never: hand out a frame under a seq it is not the frame of, or grow past its bounds
//! (a count of events and a count of bytes: a shared annotation's event can weigh 128 KiB).
//! The window is always consecutive seqs (`first`, `first + 1`, …); whatever would break that
//! is dropped instead.

use std::collections::VecDeque;

use actix_web::web::Bytes;

#[derive(Debug, Default)]
pub struct Recent {
    /// The seq of `frames[0]`.
    first: i64,
    frames: VecDeque<Bytes>,
    /// Bytes of `frames`.
    bytes: usize,
    /// Most frames kept; 0 keeps none.
    max: usize,
    /// Most bytes kept.
    max_bytes: usize,
}

impl Recent {
    pub fn new(max: usize, max_bytes: usize) -> Self {
        Self {
            first: 0,
            frames: VecDeque::new(),
            bytes: 0,
            max,
            max_bytes,
        }
    }

    fn full(&self) -> bool {
        self.frames.len() > self.max || self.bytes > self.max_bytes
    }

    fn clear_at(&mut self, first: i64) {
        self.frames.clear();
        self.bytes = 0;
        self.first = first;
    }

    /// The seq after the last one held.
    fn next(&self) -> i64 {
        self.first + self.frames.len() as i64
    }

    /// The dispatcher's side: `seq` was just fanned out, in order. One that leaves a gap (the
    /// dispatcher skipped what it could not read) starts the window anew.
    pub fn push(&mut self, seq: i64, frame: Bytes) {
        if self.max == 0 {
            return;
        }
        if self.frames.is_empty() || seq > self.next() {
            self.clear_at(seq);
        } else if seq < self.next() {
            return;
        }
        self.bytes += frame.len();
        self.frames.push_back(frame);
        while self.full() {
            let Some(old) = self.frames.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.first += 1;
        }
    }

    /// A session's side: `frames` are the events `start`, `start + 1`, … it read from the
    /// database. What joins the window without a gap is kept; older events are kept only
    /// while there is room.
    pub fn add_page(&mut self, start: i64, frames: &[Bytes]) {
        if self.max == 0 || frames.is_empty() {
            return;
        }
        let end = start + frames.len() as i64; // exclusive
        if self.frames.is_empty() {
            // The newest ones count: they are what returning tablets miss.
            self.clear_at(end);
            for f in frames.iter().rev() {
                if !self.prepend(f) {
                    break;
                }
            }
            return;
        }
        if start <= self.next() && end > self.next() {
            let from = (self.next() - start) as usize;
            for f in &frames[from..] {
                self.push(self.next(), f.clone());
            }
        }
        if start < self.first && end >= self.first {
            let upto = (self.first - start) as usize;
            for f in frames[..upto].iter().rev() {
                if !self.prepend(f) {
                    break;
                }
            }
        }
    }

    /// Puts the frame of `first - 1` in front, if the bounds leave room for it.
    fn prepend(&mut self, frame: &Bytes) -> bool {
        if self.frames.len() >= self.max || self.bytes + frame.len() > self.max_bytes {
            return false;
        }
        self.bytes += frame.len();
        self.frames.push_front(frame.clone());
        self.first -= 1;
        true
    }

    /// The frames of the events `after + 1`, `after + 2`, …, at most `limit`; empty when the
    /// window does not hold `after + 1`.
    pub fn after(&self, after: i64, limit: usize) -> Vec<Bytes> {
        let from = after + 1;
        if from < self.first || from >= self.next() {
            return Vec::new();
        }
        let skip = (from - self.first) as usize;
        self.frames.iter().skip(skip).take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(seq: i64) -> Bytes {
        Bytes::from(format!("event {seq}"))
    }

    fn page(from: i64, to: i64) -> Vec<Bytes> {
        (from..=to).map(f).collect()
    }

    /// Every frame handed out is the one of its seq.
    fn check(r: &Recent, after: i64, limit: usize, expect: std::ops::RangeInclusive<i64>) {
        let want: Vec<Bytes> = expect.map(f).collect();
        assert_eq!(r.after(after, limit), want, "after {after}");
    }

    #[test]
    fn the_dispatcher_fills_a_window_of_consecutive_seqs() {
        let mut r = Recent::new(4, usize::MAX);
        assert!(r.after(0, 10).is_empty());
        for seq in 5..=10 {
            r.push(seq, f(seq));
        }
        r.push(9, Bytes::from("a repeat is ignored"));
        check(&r, 6, 10, 7..=10);
        check(&r, 8, 1, 9..=9);
        assert!(r.after(5, 10).is_empty(), "6 fell out of the window");
        assert!(r.after(10, 10).is_empty(), "nothing after the last");
        // A gap starts the window anew: 11 and 12 are not claimed.
        r.push(13, f(13));
        check(&r, 12, 10, 13..=13);
        assert!(r.after(9, 10).is_empty());
    }

    #[test]
    fn pages_from_the_database_join_the_window_on_either_side() {
        let mut r = Recent::new(100, usize::MAX);
        r.add_page(1, &page(1, 40));
        check(&r, 0, 500, 1..=40);
        // Overlapping the end: only what is new is added.
        r.add_page(31, &page(31, 45));
        check(&r, 0, 500, 1..=45);
        // The dispatcher goes on from there.
        r.push(46, f(46));
        check(&r, 44, 500, 45..=46);

        let mut later = Recent::new(100, usize::MAX);
        later.push(50, f(50));
        later.push(51, f(51));
        later.add_page(20, &page(20, 49));
        check(&later, 19, 500, 20..=51);
        // A page that does not touch the window is not kept.
        later.add_page(1, &page(1, 10));
        assert!(later.after(0, 10).is_empty());
        check(&later, 19, 3, 20..=22);
    }

    #[test]
    fn the_window_keeps_its_bound() {
        let mut r = Recent::new(10, usize::MAX);
        r.add_page(1, &page(1, 30));
        check(&r, 20, 100, 21..=30);
        assert!(r.after(19, 100).is_empty());
        r.add_page(15, &page(15, 20));
        check(&r, 20, 100, 21..=30);
        // A bound in bytes as well: frames of 7 bytes ("event 1"), at most 30 bytes.
        let mut small = Recent::new(100, 30);
        small.add_page(1, &page(1, 9));
        check(&small, 5, 100, 6..=9);
        let heavy = Bytes::from("event 10, a heavy one");
        small.push(10, heavy.clone());
        assert_eq!(small.after(8, 100), vec![f(9), heavy.clone()]);
        assert!(small.after(7, 100).is_empty());
        // No room in front for older frames.
        small.add_page(1, &page(1, 8));
        assert_eq!(small.after(8, 100), vec![f(9), heavy]);
        assert!(small.after(7, 100).is_empty());
        let mut none = Recent::new(0, usize::MAX);
        none.push(1, f(1));
        none.add_page(1, &page(1, 3));
        assert!(none.after(0, 10).is_empty());
    }
}
