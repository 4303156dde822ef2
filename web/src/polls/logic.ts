// Voting (biểu quyết) on the tablet: the tally as bars, the result, and casting a ballot over
// the live channel (`ballot` request answered by ack/error with the same ref) with the HTTP
// endpoint as the fallback. The server is the authority on who may vote and when. Options are
// texts (the default keys yes/no/abstain, or whatever the secretary typed): a ballot's choice
// is the option exactly as the poll lists it, and the tally is keyed by it.
import { ApiError } from '../session';
import { LiveRequestError } from '../live';
import type { Meeting, Participant, Poll, User } from '../types';
import { canVote, type MeetingView } from '../meeting/state';
import { randomId } from '../ids';

export const DEFAULT_OPTIONS = ['yes', 'no', 'abstain'];

export function optionsOf(p: Poll): string[] {
  if (p.options?.length) return p.options;
  const fromTally = Object.keys(p.tally ?? {});
  return fromTally.length ? fromTally : DEFAULT_OPTIONS;
}

export interface TallyRow {
  option: string;
  count: number;
  /** Share of the ballots cast, 0..100 (rounded). */
  percent: number;
}

/** The rows of the counts; empty while they are hidden (a secret poll still open). */
export function tallyRows(p: Poll): TallyRow[] {
  if (!countsVisible(p)) return [];
  const opts = optionsOf(p);
  const total = opts.reduce((n, o) => n + (p.tally?.[o] ?? 0), 0);
  return opts.map((option) => {
    const count = p.tally?.[option] ?? 0;
    return { option, count, percent: total ? Math.round((count * 100) / total) : 0 };
  });
}

/** The translation key of a default option (yes/no/abstain: the glossary's words); null for any other, shown as it is. */
export function optionKey(option: string): string | null {
  return DEFAULT_OPTIONS.includes(option) ? `poll.choice.${option}` : null;
}

/**
 * The colour family of an option, for CSS classes: the default option itself, else `other`.
 * Options are free text ("Phương án A: xây mới"), so they never go into a class name or an id.
 */
export function optionTone(option: string): 'yes' | 'no' | 'abstain' | 'other' {
  return option === 'yes' || option === 'no' || option === 'abstain' ? option : 'other';
}

export interface BallotDeps {
  /** A live request (LiveClient.request), rejecting with LiveRequestError. */
  live: (body: Record<string, unknown>) => Promise<any>;
  /** POST /polls/{id}/ballots with `Idempotency-Key: key` (Session.request). */
  http: (pollId: string, choice: string, key: string) => Promise<{ receipt?: string }>;
}

/**
 * Live `error` codes that mean the ballot did not get through, so it goes again over HTTP
 * (with the same idempotency key: if it was committed after all, the answer is its receipt).
 * Every other code is the server's refusal (docs/polls.md "Ballots") and is final.
 */
const RETRY_OVER_HTTP = new Set(['not_connected', 'timeout', 'not_supported', 'unknown_type', 'service_unavailable', 'internal_error']);

/** The HTTP status the same refusal has (docs/polls.md), so callers handle one error type. */
const STATUS: Record<string, number> = {
  not_found: 404,
  forbidden: 403,
  not_eligible: 403,
  poll_not_open: 409,
  already_voted: 409,
  unknown_option: 422,
};

/** A fresh idempotency key for one ballot (one press of "Gửi phiếu"). */
export function newBallotKey(): string {
  return randomId();
}

/**
 * Casts a ballot: over the socket when it is up, else (or when the answer does not come, or
 * the server does not take ballots over the socket) over HTTP. Both carry the same
 * idempotency `key`, so a ballot committed whose answer was lost gets its receipt on the
 * retry instead of `already_voted`. Refusals reject with an ApiError (`code` as the server's).
 * Resolves with the receipt.
 */
export async function castBallot(pollId: string, choice: string, d: BallotDeps, key: string = newBallotKey()): Promise<string | null> {
  try {
    const ack = await d.live({ type: 'ballot', poll_id: pollId, choice, key });
    return typeof ack?.receipt === 'string' ? ack.receipt : (ack?.data?.receipt ?? null);
  } catch (e) {
    if (!(e instanceof LiveRequestError)) throw e;
    if (!RETRY_OVER_HTTP.has(e.code)) throw new ApiError(STATUS[e.code] ?? 400, e.code, e.message);
  }
  const r = await d.http(pollId, choice, key);
  return r?.receipt ?? null;
}

/** Contract v2 "Voting rules": the chair votes unless the meeting says `chair_votes: false`. */
export function chairVotes(m: Pick<Meeting, 'chair_votes'> | null | undefined): boolean {
  return m?.chair_votes !== false;
}

/** Whether a participant holds a voting seat: members, and the chair unless the meeting says not. */
export function votingSeat(p: Participant, chair = true): boolean {
  return p.role === 'member' || (chair && p.role === 'chair');
}

/**
 * Who casts the ballot of a voting seat as attendance stands now: its holder when present,
 * their substitute when substituted, nobody otherwise (docs/polls.md "Eligible voters"; the
 * server fixes this when the poll opens).
 */
export function seatVoter(p: Participant, chair = true): string | null {
  if (!votingSeat(p, chair)) return null;
  if (p.attendance === 'present') return p.user_id;
  if (p.attendance === 'substituted') return p.substitute_id;
  return null;
}

/** How many would be eligible if the poll opened now: voting seats present or substituted. */
export function eligibleNow(participants: Participant[], chair = true): number {
  return participants.filter((p) => seatVoter(p, chair) !== null).length;
}

/** Every voting seat of the meeting, present or not (`members` of an `absolute_all` poll). */
export function votingSeats(participants: Participant[], chair = true): number {
  return participants.filter((p) => votingSeat(p, chair)).length;
}

/**
 * Where the user stands for an open poll: `voter` (their seat is attended by them),
 * `not_checked_in` (a voting participant, or a substitute, whose seat they are not attending),
 * `none` (secretary, observer, staff, and the chair when the meeting says the chair does not vote).
 */
export function voterStatus(participants: Participant[], userId: string, chair = true): 'voter' | 'not_checked_in' | 'none' {
  const seats = participants.filter((p) => votingSeat(p, chair) && (p.user_id === userId || p.substitute_id === userId));
  if (!seats.length) return 'none';
  return seats.some((p) => seatVoter(p, chair) === userId) ? 'voter' : 'not_checked_in';
}

/** Whether the counts per option may be shown: never for a secret poll before it closes (contract v2). */
export function countsVisible(p: Poll): boolean {
  if (p.secret && p.state !== 'closed') return false;
  return p.tally != null;
}

export interface QuorumCheck {
  /** Voting seats attended now. */
  present: number;
  /** All voting seats. */
  members: number;
  /** The poll's quorum, when it has one. */
  quorum: number | null;
  /** Opening now would give `no_quorum` (present below the poll's quorum). */
  below: boolean;
  /** `absolute_all` with half of all members or fewer present: the motion cannot pass. */
  cannotPass: boolean;
}

/** What the chair sees before opening a poll: the quorum rule against who is present now. */
export function quorumCheck(p: Poll, participants: Participant[], chair = true): QuorumCheck {
  const present = eligibleNow(participants, chair);
  const members = votingSeats(participants, chair);
  const quorum = p.quorum ?? null;
  return {
    present,
    members,
    quorum,
    below: quorum !== null && present < quorum,
    cannotPass: p.majority === 'absolute_all' && present * 2 <= members,
  };
}

const RECEIPTS = 'ecabinet.receipts';

/** Receipts this tablet got, per poll (a reload keeps "your ballot has been recorded"). */
export function loadReceipts(storage: Pick<Storage, 'getItem'> | null = globalThis.localStorage ?? null): Record<string, string> {
  try {
    return JSON.parse(storage?.getItem(RECEIPTS) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export function saveReceipt(pollId: string, receipt: string, storage: Pick<Storage, 'getItem' | 'setItem'> | null = globalThis.localStorage ?? null) {
  const all = loadReceipts(storage);
  all[pollId] = receipt;
  storage?.setItem(RECEIPTS, JSON.stringify(all));
}

/** The result's translation key. */
export function resultKey(p: Poll): string | null {
  return p.result ? `poll.result.${p.result}` : null;
}

/**
 * Why a closed poll was not decided by its ballots (`no_quorum`): the quorum against the
 * voters present at opening. Null for any other result.
 */
export function noQuorumWhy(p: Poll): { key: 'poll.noQuorumWhy' | 'poll.noQuorumWhyUnknown'; params: Record<string, number> } | null {
  if (p.result !== 'no_quorum') return null;
  if (p.quorum) return { key: 'poll.noQuorumWhy', params: { present: p.eligible, quorum: p.quorum } };
  return { key: 'poll.noQuorumWhyUnknown', params: { present: p.eligible } };
}

/**
 * The open poll this user should still vote in (a voter here without a receipt on this tablet
 * and not answered `already_voted`), if any: what the "Biểu quyết ngay" banner calls them to.
 */
export function pollAwaitingBallot(view: MeetingView, user: User, receipts: Record<string, string>, done: ReadonlySet<string> = new Set()): Poll | undefined {
  if (!canVote(view, user)) return undefined;
  if (voterStatus(view.participants, user.id, chairVotes(view.meeting)) !== 'voter') return undefined;
  return view.polls.find((p) => p.state === 'open' && !receipts[`${user.id}/${p.id}`] && !done.has(p.id));
}

/**
 * A receipt as a person reads it: the first 12 hex digits, upper case, in groups of four
 * ("3F2A-91C0-7B44"): enough to find one's ballot in the published list.
 */
export function receiptShort(receipt: string): string {
  const hex = receipt.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (!hex) return receipt;
  return (hex.slice(0, 12).match(/.{1,4}/g) ?? []).join('-');
}

/** The whole receipt in groups of four (what the audit's hash is computed from). */
export function receiptGrouped(receipt: string): string {
  const hex = receipt.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (!hex) return receipt;
  return (hex.match(/.{1,4}/g) ?? []).join(' ');
}
