//! Majority and quorum: pure functions of the counts, with no database and no HTTP, so every
//! rule is pinned by a table of cases.
//!
//! The motion is the poll's first option (`yes` by default). An option called `abstain` is an
//! abstention; every other option counts against the motion.
//! - `simple` (đa số phiếu): more ballots for than against; abstentions count for neither side.
//!   A tie is rejected.
//! - `absolute` (quá nửa số thành viên có mặt): more than half of the eligible voters (those
//!   present at opening) for.
//! - `absolute_all` (quá nửa tổng số thành viên): more than half of all voting participants of
//!   the meeting, present or not, for: the rule of People's Committees and Councils.
//! - `two_thirds` (hai phần ba): at least two thirds of the eligible voters for.
//! - ties (`TieBreak::Chair`, meetings held in writing by default): when as many are for the
//!   motion as against it and, under a rule that counts against a total, exactly half of that
//!   total is for, the motion missed by the tie alone; the chair's side decides ("trường hợp
//!   biểu quyết ngang nhau thì quyết định theo ý kiến mà Chủ tịch đã biểu quyết"), when the
//!   chair answered. `two_thirds` has no tie.
//! - quorum: when the poll sets one, at least that many voting members must have been present
//!   at opening; otherwise the result is `no_quorum`, whatever the ballots say.

use serde::{Deserialize, Serialize};

/// How many ballots a motion needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Majority {
    Simple,
    Absolute,
    AbsoluteAll,
    TwoThirds,
}

impl Majority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::Absolute => "absolute",
            Self::AbsoluteAll => "absolute_all",
            Self::TwoThirds => "two_thirds",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "simple" => Some(Self::Simple),
            "absolute" => Some(Self::Absolute),
            "absolute_all" => Some(Self::AbsoluteAll),
            "two_thirds" => Some(Self::TwoThirds),
            _ => None,
        }
    }
}

/// What a closed poll decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Adopted,
    Rejected,
    NoQuorum,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adopted => "adopted",
            Self::Rejected => "rejected",
            Self::NoQuorum => "no_quorum",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "adopted" => Some(Self::Adopted),
            "rejected" => Some(Self::Rejected),
            "no_quorum" => Some(Self::NoQuorum),
            _ => None,
        }
    }
}

/// Who breaks a tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// The chair's answer decides, when the chair answered (a named ballot).
    Chair,
    /// A tie is not adopted.
    None,
}

impl TieBreak {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chair => "chair",
            Self::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "chair" => Some(Self::Chair),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The key of the abstention option.
pub const ABSTAIN: &str = "abstain";

/// The counts a decision depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Ballots for the motion (the first option).
    pub for_motion: u64,
    /// Ballots for any other option but `abstain`.
    pub against: u64,
    /// Voting members present when the poll opened: who may vote.
    pub eligible: u64,
    /// Every voting participant of the meeting when the poll opened, present or not.
    pub members: u64,
}

impl Counts {
    /// Reads the counts from a tally `(option, count)` in option order.
    pub fn from_tally<'a>(
        tally: impl IntoIterator<Item = (&'a str, u64)>,
        eligible: u64,
        members: u64,
    ) -> Self {
        let mut counts = Counts {
            for_motion: 0,
            against: 0,
            eligible,
            members,
        };
        for (i, (option, n)) in tally.into_iter().enumerate() {
            if i == 0 {
                counts.for_motion = n;
            } else if option != ABSTAIN {
                counts.against += n;
            }
        }
        counts
    }
}

/// The result of a poll.
pub fn decide(majority: Majority, quorum: Option<u64>, counts: Counts) -> Outcome {
    if quorum.is_some_and(|q| counts.eligible < q) {
        return Outcome::NoQuorum;
    }
    let adopted = match majority {
        Majority::Simple => counts.for_motion > counts.against,
        Majority::Absolute => 2 * counts.for_motion > counts.eligible,
        Majority::AbsoluteAll => 2 * counts.for_motion > counts.members,
        Majority::TwoThirds => counts.eligible > 0 && 3 * counts.for_motion >= 2 * counts.eligible,
    };
    if adopted {
        Outcome::Adopted
    } else {
        Outcome::Rejected
    }
}

/// Whether the counts are a tie: as many for as against (someone for), and under a rule that
/// counts against a total, exactly half of it for: the motion missed by the tie alone.
pub fn is_tie(majority: Majority, counts: Counts) -> bool {
    if counts.for_motion == 0 || counts.for_motion != counts.against {
        return false;
    }
    match majority {
        Majority::Simple => true,
        Majority::Absolute => 2 * counts.for_motion == counts.eligible,
        Majority::AbsoluteAll => 2 * counts.for_motion == counts.members,
        Majority::TwoThirds => false,
    }
}

/// The result, with a tie broken by the chair's side where the poll says so. `chair_for`:
/// whether the chair's own answer was for the motion (None: the chair did not answer, or the
/// poll is secret). Returns the outcome and whether the chair's side decided it.
pub fn decide_with_tie_break(
    majority: Majority,
    quorum: Option<u64>,
    counts: Counts,
    tie_break: TieBreak,
    chair_for: Option<bool>,
) -> (Outcome, bool) {
    let outcome = decide(majority, quorum, counts);
    if outcome == Outcome::NoQuorum || tie_break != TieBreak::Chair || !is_tie(majority, counts) {
        return (outcome, false);
    }
    match chair_for {
        Some(true) => (Outcome::Adopted, true),
        Some(false) => (Outcome::Rejected, true),
        None => (outcome, false),
    }
}

#[cfg(test)]
mod tests {
    use super::Majority::*;
    use super::Outcome::*;
    use super::*;

    /// (majority, quorum, for, against, eligible, expected); members = eligible + 2 absent
    type Case = (Majority, Option<u64>, u64, u64, u64, Outcome);
    const CASES: &[Case] = &[
        // Simple majority: for > against among ballots that are not abstentions.
        (Simple, None, 3, 2, 9, Adopted),
        (Simple, None, 2, 2, 9, Rejected), // a tie does not pass
        (Simple, None, 1, 0, 9, Adopted),  // abstentions and absentees do not count
        (Simple, None, 0, 0, 9, Rejected), // nobody for: nothing passes
        (Simple, None, 2, 3, 5, Rejected),
        // Absolute: more than half of the eligible.
        (Absolute, None, 5, 0, 9, Adopted),
        (Absolute, None, 4, 0, 9, Rejected), // 4 of 9 is not over half even unopposed
        (Absolute, None, 5, 5, 10, Rejected), // exactly half is not over half
        (Absolute, None, 6, 4, 10, Adopted),
        (Absolute, None, 0, 0, 0, Rejected),
        // Absolute of all members: the two absent count too (members = eligible + 2).
        (AbsoluteAll, None, 5, 0, 9, Rejected), // 5 of 11: over half of those present only
        (AbsoluteAll, None, 6, 0, 9, Adopted),  // 6 of 11
        (AbsoluteAll, None, 3, 0, 4, Rejected), // 3 of 6, unopposed: only half
        (AbsoluteAll, None, 4, 0, 4, Adopted),  // 4 of 6
        (AbsoluteAll, None, 0, 0, 0, Rejected),
        // Two thirds of the eligible, at least.
        (TwoThirds, None, 6, 0, 9, Adopted), // exactly two thirds passes
        (TwoThirds, None, 5, 0, 9, Rejected),
        (TwoThirds, None, 7, 3, 10, Adopted),
        (TwoThirds, None, 6, 0, 10, Rejected), // 6/10 < 2/3
        (TwoThirds, None, 2, 0, 3, Adopted),
        (TwoThirds, None, 0, 0, 0, Rejected), // no one eligible: nothing passes
        // Quorum of present members comes first.
        (Simple, Some(5), 4, 0, 4, NoQuorum),
        (Simple, Some(4), 4, 0, 4, Adopted), // quorum reached exactly
        (Absolute, Some(10), 9, 0, 9, NoQuorum),
        (TwoThirds, Some(3), 0, 3, 3, Rejected),
        (Simple, Some(0), 0, 0, 0, Rejected),
    ];

    #[test]
    fn decisions() {
        for &(majority, quorum, for_motion, against, eligible, expected) in CASES {
            let counts = Counts {
                for_motion,
                against,
                eligible,
                members: eligible + 2,
            };
            assert_eq!(
                decide(majority, quorum, counts),
                expected,
                "{majority:?} quorum {quorum:?} {counts:?}"
            );
        }
    }

    #[test]
    fn counts_from_a_tally() {
        let tally = [("yes", 4), ("no", 3), ("abstain", 2)];
        assert_eq!(
            Counts::from_tally(tally, 9, 9),
            Counts {
                for_motion: 4,
                against: 3,
                eligible: 9,
                members: 9
            }
        );
        // Abstentions do not help the motion under a simple majority…
        assert_eq!(
            decide(Simple, None, Counts::from_tally(tally, 9, 9)),
            Adopted
        );
        // …and count as not-for under an absolute one (4 of 9).
        assert_eq!(
            decide(Absolute, None, Counts::from_tally(tally, 9, 9)),
            Rejected
        );
        // Custom options: the first is the motion, the others are against.
        let custom = [("dong_y", 2), ("phuong_an_b", 1), ("phuong_an_c", 1)];
        assert_eq!(
            Counts::from_tally(custom, 5, 5),
            Counts {
                for_motion: 2,
                against: 2,
                eligible: 5,
                members: 5
            }
        );
        assert_eq!(
            decide(Simple, None, Counts::from_tally(custom, 5, 5)),
            Rejected
        );
    }

    #[test]
    fn ties_follow_the_chair_only_when_they_are_ties() {
        let counts = |for_motion, against, eligible, members| Counts {
            for_motion,
            against,
            eligible,
            members,
        };
        use TieBreak::Chair;
        // (majority, counts, chair for?, expected, broken by the chair)
        let cases = [
            // 5 of 10 for, 5 against: the motion missed by the tie alone; the chair decides.
            (AbsoluteAll, counts(5, 5, 10, 10), Some(true), Adopted, true),
            (
                AbsoluteAll,
                counts(5, 5, 10, 10),
                Some(false),
                Rejected,
                true,
            ),
            // The chair did not answer (or the poll is secret): the rule stands.
            (AbsoluteAll, counts(5, 5, 10, 10), None, Rejected, false),
            // 3 for, 3 against, 4 silent of 10: not over half of all members, whatever the chair.
            (
                AbsoluteAll,
                counts(3, 3, 10, 10),
                Some(true),
                Rejected,
                false,
            ),
            // 5 for, 4 against of 10: half for but not a tie.
            (
                AbsoluteAll,
                counts(5, 4, 10, 10),
                Some(true),
                Rejected,
                false,
            ),
            // Already adopted: nothing to break.
            (
                AbsoluteAll,
                counts(6, 4, 10, 10),
                Some(false),
                Adopted,
                false,
            ),
            (Simple, counts(2, 2, 9, 9), Some(true), Adopted, true),
            (Simple, counts(0, 0, 9, 9), Some(true), Rejected, false),
            (Absolute, counts(4, 4, 8, 10), Some(true), Adopted, true),
            (Absolute, counts(4, 4, 9, 10), Some(true), Rejected, false),
            (TwoThirds, counts(3, 3, 6, 6), Some(true), Rejected, false),
        ];
        for (majority, c, chair_for, expected, broken) in cases {
            assert_eq!(
                decide_with_tie_break(majority, None, c, Chair, chair_for),
                (expected, broken),
                "{majority:?} {c:?} chair {chair_for:?}"
            );
            // Without the rule a tie is never adopted.
            let (plain, by_chair) =
                decide_with_tie_break(majority, None, c, TieBreak::None, chair_for);
            assert_eq!(plain, decide(majority, None, c));
            assert!(!by_chair);
        }
        // The quorum still comes first.
        assert_eq!(
            decide_with_tie_break(Simple, Some(20), counts(2, 2, 9, 9), Chair, Some(true)),
            (NoQuorum, false)
        );
    }
}
