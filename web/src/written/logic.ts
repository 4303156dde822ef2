// Meetings held in writing (lấy ý kiến bằng văn bản, contract v2) on the tablet: which
// consultations come first in the list, how long is left until the deadline, what an answer
// needs before it is sent, the answers this tablet gave and how they meet the server's word
// (`my-ballot`), and who has answered (`answers`, for the presiders). Pure functions; the
// screens are ui/Written*.tsx.
import { textLength } from '../limits';
import type { Meeting, Participant, Poll, User } from '../types';

/** The three answers of a written poll, the motion first (docs/polls.md). */
export const ANSWERS = ['agree', 'disagree', 'other'] as const;
export type Answer = (typeof ANSWERS)[number];

/** The longest comment a ballot carries, in code points of the trimmed text (server: ballots::COMMENT_MAX). */
export const COMMENT_MAX = 2000;

export function isWritten(m: Pick<Meeting, 'kind'>): boolean {
  return m.kind === 'written';
}

/**
 * A seat that answers in a written meeting: every voting participant, for their own seat, with
 * nobody checking in (members, and the chair unless `chair_votes` is false). Substitutes do not
 * answer in writing.
 */
export function answersInWriting(participants: Participant[], userId: string, chairVotes = true): boolean {
  return participants.some((p) => p.user_id === userId && (p.role === 'member' || (chairVotes && p.role === 'chair')));
}

/** The voting seats of a written meeting (who answers, and who is deemed to when silent). */
export function writtenVoters(participants: Participant[], chairVotes = true): Participant[] {
  return participants.filter((p) => p.role === 'member' || (chairVotes && p.role === 'chair'));
}

/** What this tablet knows of the user's answer to one poll. */
export interface MyAnswer {
  /** Null: the server says the seat answered a secret poll, and this tablet does not know what. */
  choice: string | null;
  comment: string | null;
  /** When it was given (RFC 3339, this tablet's idea of the server's time). */
  at: string;
  /** `sent`: the server acknowledged it; `queued`: kept here until the network is back. */
  state: 'sent' | 'queued';
}

/** Where the user stands in one written meeting, for the list. */
export type Standing =
  /** Open, and at least one of its open questions has no answer from this user yet. */
  | 'awaiting'
  /** Open, every open question answered (or the user does not answer: chair without a vote, secretary). */
  | 'answered'
  /** Not sent yet (a draft: only its managers see it). */
  | 'draft'
  /** Past its deadline, closed or cancelled. */
  | 'closed';

/**
 * The user's standing in a written meeting. `polls`: the meeting's polls when known (only
 * open meetings are looked into); `voter`: whether the user answers in it; `answered`: the
 * poll ids this tablet knows the user answered.
 */
export function standingOf(m: Meeting, polls: Poll[] | null, voter: boolean, answered: ReadonlySet<string>, now: number): Standing {
  if (m.state === 'draft') return 'draft';
  if (m.state !== 'scheduled' || (m.deadline && Date.parse(m.deadline) <= now)) return 'closed';
  if (!voter || !polls) return 'answered';
  return polls.some((p) => p.state === 'open' && !answered.has(p.id)) ? 'awaiting' : 'answered';
}

export interface Entry {
  meeting: Meeting;
  standing: Standing;
}

const RANK: Record<Standing, number> = { awaiting: 0, answered: 1, draft: 2, closed: 3 };

const deadlineOf = (m: Meeting) => (m.deadline ? Date.parse(m.deadline) : Number.POSITIVE_INFINITY);

/**
 * The list's order: those awaiting the user's answer first, the nearest deadline first; then
 * the answered ones still open, then drafts, the same way; then the closed ones, the most
 * recent deadline first. Ties keep the title order, so the list does not jump.
 */
export function orderConsultations(entries: Entry[]): Entry[] {
  return entries.slice().sort((a, b) => {
    const r = RANK[a.standing] - RANK[b.standing];
    if (r) return r;
    const d = a.standing === 'closed' ? deadlineOf(b.meeting) - deadlineOf(a.meeting) : deadlineOf(a.meeting) - deadlineOf(b.meeting);
    return d || a.meeting.title.localeCompare(b.meeting.title);
  });
}

/** A countdown to the deadline, as the screens say it. */
export interface Countdown {
  /** Whole seconds left (0 once past). */
  secs: number;
  over: boolean;
  /** Less than a day left: shown as urgent. */
  soon: boolean;
  /** The translation key and its parameters ("Còn 2 ngày 3 giờ", "Còn 4 giờ 05 phút", "Còn 0:42"). */
  key: 'written.left.days' | 'written.left.hours' | 'written.left.minutes' | 'written.left.over';
  params: Record<string, string | number>;
}

const DAY = 86_400;

export function countdown(deadline: string, now: number): Countdown {
  const left = Math.ceil((Date.parse(deadline) - now) / 1000);
  if (!(left > 0)) return { secs: 0, over: true, soon: true, key: 'written.left.over', params: {} };
  const days = Math.floor(left / DAY);
  const hours = Math.floor((left % DAY) / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = left % 60;
  const soon = left < DAY;
  if (days > 0) return { secs: left, over: false, soon, key: 'written.left.days', params: { d: days, h: hours } };
  if (hours > 0) return { secs: left, over: false, soon, key: 'written.left.hours', params: { h: hours, m: String(minutes).padStart(2, '0') } };
  return { secs: left, over: false, soon, key: 'written.left.minutes', params: { m: minutes, s: String(seconds).padStart(2, '0') } };
}

/** Why an answer cannot be sent yet (a translation key), or null when it can. */
export type AnswerProblem = 'written.err.choose' | 'err.comment_required' | 'err.comment_too_long' | 'err.invalid_comment';

/** The server's rules for a ballot of a written poll, checked before sending (docs/api.md). */
export function validateAnswer(choice: string | null, comment: string, secret = false): AnswerProblem | null {
  if (!choice) return 'written.err.choose';
  const n = textLength(comment);
  if (secret && n > 0) return 'err.invalid_comment';
  if (choice === 'other' && n === 0) return 'err.comment_required';
  if (n > COMMENT_MAX) return 'err.comment_too_long';
  return null;
}

/** The body of `POST /polls/{id}/ballots`: the comment trimmed, left out when empty. */
export function answerBody(choice: string, comment: string): { choice: string; comment?: string } {
  const c = comment.trim();
  return c ? { choice, comment: c } : { choice };
}

// --- the answers this tablet gave -----------------------------------------------------------

const ANSWERS_KEY = 'ecabinet.written.answers';

type Store = Pick<Storage, 'getItem' | 'setItem'> | null;

function defaultStore(): Store {
  return globalThis.localStorage ?? null;
}

/** The answers given on this tablet, by `user/poll`. */
export function loadAnswers(storage: Store = defaultStore()): Record<string, MyAnswer> {
  try {
    const v = JSON.parse(storage?.getItem(ANSWERS_KEY) ?? '{}');
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

export function saveAnswer(user: string, poll: string, a: MyAnswer, storage: Store = defaultStore()) {
  const all = loadAnswers(storage);
  all[`${user}/${poll}`] = a;
  storage?.setItem(ANSWERS_KEY, JSON.stringify(all));
}

export function forgetAnswer(user: string, poll: string, storage: Store = defaultStore()) {
  const all = loadAnswers(storage);
  delete all[`${user}/${poll}`];
  storage?.setItem(ANSWERS_KEY, JSON.stringify(all));
}

/** The poll ids the user answered, as far as this tablet knows. */
export function answeredPolls(user: Pick<User, 'id'>, answers: Record<string, MyAnswer>): Set<string> {
  const prefix = `${user.id}/`;
  return new Set(
    Object.keys(answers)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length)),
  );
}

/**
 * The user's answer to a poll: the published ballot once it closed (the server's word),
 * else what this tablet sent or keeps queued.
 */
export function myAnswer(p: Poll, userId: string, answers: Record<string, MyAnswer>): MyAnswer | null {
  const published = p.state === 'closed' ? p.ballots?.find((b) => b.user_id === userId) : undefined;
  const local = answers[`${userId}/${p.id}`] ?? null;
  if (published) return { choice: published.choice, comment: published.comment ?? null, at: local?.at ?? p.closed_at ?? '', state: 'sent' };
  if (p.state === 'closed' && local?.state === 'queued') return null;
  return local;
}

/** A closed written poll's counts: answers per option, those deemed to agree apart. */
export interface WrittenResult {
  rows: { option: string; count: number; deemed: number }[];
  answered: number;
  deemed: number;
  members: number;
}

export function writtenResult(p: Poll): WrittenResult {
  const options = p.options?.length ? p.options : [...ANSWERS];
  const rows = options.map((option) => ({ option, count: p.tally?.[option] ?? 0, deemed: p.deemed?.[option] ?? 0 }));
  const deemed = rows.reduce((n, r) => n + r.deemed, 0);
  return { rows, answered: p.voted, deemed, members: p.members ?? p.eligible };
}

// --- what the server says (docs/polls.md "In a meeting held in writing") ----------------------

/** `GET /polls/{id}/my-ballot`: the caller's current answer while the poll is open (no choice on a secret poll). */
export interface ServerBallot {
  poll_id: string;
  voted: boolean;
  choice: string | null;
  comment: string | null;
  cast_at: string | null;
}

/**
 * The answer to show while a poll is open: the server's (given on any device) unless the tablet
 * holds a queued answer given after it; what the tablet remembers when the server could not be
 * asked (`server` null). A secret poll's server answer has no choice: the tablet's own sent
 * answer fills it in, else it shows as answered without saying what.
 */
export function mergeAnswer(server: ServerBallot | null, local: MyAnswer | null): MyAnswer | null {
  if (!server) return local;
  if (local?.state === 'queued' && (!server.voted || !server.cast_at || Date.parse(local.at) >= Date.parse(server.cast_at))) return local;
  if (!server.voted) return null;
  if (server.choice === null) return local ?? { choice: null, comment: null, at: server.cast_at ?? '', state: 'sent' };
  return { choice: server.choice, comment: server.comment ?? null, at: server.cast_at ?? local?.at ?? '', state: 'sent' };
}

/** `GET /polls/{id}/answers` (the meeting's presiders): who of the electorate has answered. */
export interface AnswersList {
  poll_id: string;
  secret: boolean;
  answered: number;
  answers: { user_id: string; display_name: string; answered: boolean; answered_at: string | null }[];
}

/** Those who answered (the latest answer last; by name when there is no time) and those who have not yet (by name). */
export function splitAnswers(list: AnswersList, locale = 'vi') {
  const byName = (a: { display_name: string }, b: { display_name: string }) => a.display_name.localeCompare(b.display_name, locale);
  const answered = list.answers.filter((a) => a.answered);
  answered.sort((a, b) => (a.answered_at && b.answered_at ? Date.parse(a.answered_at) - Date.parse(b.answered_at) : 0) || byName(a, b));
  const waiting = list.answers.filter((a) => !a.answered).sort(byName);
  return { answered, waiting };
}
