// Voting (biểu quyết) on the tablet: the tally as bars, the result, and casting a ballot over
// the live channel (`ballot` request answered by ack/error with the same ref) with the HTTP
// endpoint as the fallback. The server is the authority on who may vote and when.
import { ApiError } from '../session';
import { LiveRequestError } from '../live';
import type { Poll } from '../types';

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

export function tallyRows(p: Poll): TallyRow[] {
  const opts = optionsOf(p);
  const total = opts.reduce((n, o) => n + (p.tally?.[o] ?? 0), 0);
  return opts.map((option) => {
    const count = p.tally?.[option] ?? 0;
    return { option, count, percent: total ? Math.round((count * 100) / total) : 0 };
  });
}

/** The translation key of an option: the glossary's words for yes/no/abstain, else the option itself. */
export function optionKey(option: string): string | null {
  return DEFAULT_OPTIONS.includes(option) ? `poll.choice.${option}` : null;
}

export interface BallotDeps {
  /** A live request (LiveClient.request), rejecting with LiveRequestError. */
  live: (body: Record<string, unknown>) => Promise<any>;
  /** POST /polls/{id}/ballots (Session.request). */
  http: (pollId: string, choice: string) => Promise<{ receipt?: string }>;
}

/** Codes a live `error` shares with the HTTP answers: the ballot was refused, do not retry. */
const FINAL = new Set(['already_voted', 'forbidden', 'not_eligible', 'poll_not_open', 'unknown_option', 'not_found', 'poll_closed']);

/**
 * Casts a ballot: over the socket when it is up, else (or when the server does not take
 * ballots over the socket, or the answer does not come) over HTTP. A retry after a lost answer
 * meets 409 `already_voted`, which the caller shows as "already voted". Resolves with the receipt.
 */
export async function castBallot(pollId: string, choice: string, d: BallotDeps): Promise<string | null> {
  try {
    const ack = await d.live({ type: 'ballot', poll_id: pollId, choice });
    return typeof ack?.receipt === 'string' ? ack.receipt : (ack?.data?.receipt ?? null);
  } catch (e) {
    if (e instanceof LiveRequestError && FINAL.has(e.code)) throw new ApiError(e.code === 'already_voted' ? 409 : 403, e.code, e.message);
    if (!(e instanceof LiveRequestError)) throw e;
  }
  const r = await d.http(pollId, choice);
  return r?.receipt ?? null;
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
