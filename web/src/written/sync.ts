// The tablet's written answers at work: sending one (or queueing it when the network is down),
// the queue sent again whenever the network comes back, and a hook that keeps the screens
// current. The rules are in written/logic.ts and written/outbox.ts.
import { useEffect, useState } from 'preact/hooks';
import { session } from '../app';
import { randomId } from '../ids';
import { serverClockOffset } from '../session';
import type { Meeting, Poll, User } from '../types';
import { answerBody, forgetAnswer, loadAnswers, saveAnswer, type AnswersList, type MyAnswer, type ServerBallot } from './logic';
import { AnswerOutbox, unreached, type Outcome, type Pending } from './outbox';

const serverNow = () => Date.now() + serverClockOffset();

export const answerOutbox = new AnswerOutbox(
  typeof localStorage === 'undefined' ? null : localStorage,
  (p) => session.request<{ receipt?: string }>('POST', `/polls/${encodeURIComponent(p.poll)}/ballots`, answerBody(p.choice, p.comment ?? ''), { 'Idempotency-Key': p.key }),
  serverNow,
);

/** Answers the server refused for another reason than the deadline, since this page loaded. */
let refused: Outcome[] = [];
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((f) => f());
answerOutbox.subscribe(changed);

/** Sends the queued answers of the signed-in user, recording what became of each. */
export async function flushAnswers(): Promise<Outcome[]> {
  const user = session.user?.id;
  if (!user || !answerOutbox.pending(user).length) return [];
  const out = await answerOutbox.flush(user);
  for (const o of out) {
    if (o.kind === 'sent') saveAnswer(o.p.user, o.p.poll, { choice: o.p.choice, comment: o.p.comment, at: o.p.at, state: 'sent' });
    else forgetAnswer(o.p.user, o.p.poll);
  }
  const more = out.filter((o) => o.kind === 'refused');
  if (more.length) refused = [...refused, ...more];
  if (out.length) changed();
  return out;
}

if (typeof window !== 'undefined') window.addEventListener('online', () => void flushAnswers());

/**
 * Sends an answer. Resolves `sent`, or `queued` when it did not reach the server (kept and sent
 * when the network is back); rejects with the server's refusal (ApiError).
 */
export async function submitAnswer(user: User, m: Meeting, p: Poll, choice: string, comment: string): Promise<'sent' | 'queued'> {
  const at = new Date(serverNow()).toISOString();
  const c = comment.trim() || null;
  const pending: Pending = { user: user.id, poll: p.id, meeting: m.id, title: p.title ?? '', choice, comment: c, key: randomId(), deadline: m.deadline ?? null, at };
  try {
    await session.request('POST', `/polls/${encodeURIComponent(p.id)}/ballots`, answerBody(choice, comment), { 'Idempotency-Key': pending.key });
  } catch (e) {
    if (!unreached(e)) throw e;
    answerOutbox.add(pending);
    saveAnswer(user.id, p.id, { choice, comment: c, at, state: 'queued' });
    changed();
    return 'queued';
  }
  // An older answer still queued must not overwrite this one when the network is back.
  answerOutbox.drop(user.id, p.id);
  saveAnswer(user.id, p.id, { choice, comment: c, at, state: 'sent' });
  changed();
  return 'sent';
}

export interface AnswersState {
  /** Answers given on this tablet, by `user/poll`. */
  answers: Record<string, MyAnswer>;
  /** The user's answers that arrived after the deadline and were not counted. */
  late: Pending[];
  /** The user's queued answers the server refused for another reason. */
  refused: Outcome[];
  dismissLate: (poll: string) => void;
  dismissRefused: (poll: string) => void;
}

/** The user's answers, kept current; tries the queue now and every 10 s while mounted. */
export function useAnswers(user: User): AnswersState {
  const [, force] = useState(0);
  useEffect(() => {
    const f = () => force((n) => n + 1);
    listeners.add(f);
    void flushAnswers();
    const id = setInterval(() => void flushAnswers(), 10_000);
    return () => {
      listeners.delete(f);
      clearInterval(id);
    };
  }, []);
  return {
    answers: loadAnswers(),
    late: answerOutbox.late(user.id),
    refused: refused.filter((o) => o.p.user === user.id),
    dismissLate: (poll) => answerOutbox.dismissLate(user.id, poll),
    dismissRefused: (poll) => {
      refused = refused.filter((o) => !(o.p.user === user.id && o.p.poll === poll));
      changed();
    },
  };
}

/**
 * The user's current answer as the server has it (`GET /polls/{id}/my-ballot`), read when
 * `enabled` turns on (the form opens) and whenever `trigger` changes (the tablet's own answer
 * was given, sent or dropped). Null while unknown or
 * when the server could not be asked: the screen then shows what the tablet remembers.
 */
export function useMyBallot(pollId: string, enabled: boolean, trigger: string): ServerBallot | null {
  const [server, setServer] = useState<ServerBallot | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    // What the server said before the tablet's own answer changed is stale: the tablet's stands until the read.
    setServer(null);
    session
      .request<ServerBallot>('GET', `/polls/${encodeURIComponent(pollId)}/my-ballot`)
      .then((b) => alive && setServer(b && typeof b.voted === 'boolean' ? b : null))
      .catch(() => alive && setServer(null));
    return () => {
      alive = false;
    };
  }, [pollId, enabled, trigger]);
  return enabled ? server : null;
}

/** How often the presiders' list of who answered is read again without a live event. */
export const ANSWERS_REFRESH_MS = 10_000;

/**
 * Who has answered an open poll (`GET /polls/{id}/answers`, the meeting's presiders only), read
 * again when `trigger` changes (a live tally or ballot event for the poll) and every
 * `ANSWERS_REFRESH_MS`. Null until read or when refused; the last list stays while offline.
 */
export function usePollAnswers(pollId: string, enabled: boolean, trigger: string): AnswersList | null {
  const [list, setList] = useState<AnswersList | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    const id = setInterval(() => setTick((x) => x + 1), ANSWERS_REFRESH_MS);
    return () => clearInterval(id);
  }, [enabled]);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    session
      .request<AnswersList>('GET', `/polls/${encodeURIComponent(pollId)}/answers`)
      .then((l) => alive && setList(l && Array.isArray(l.answers) ? l : null))
      .catch((e) => {
        // Refused (403, 404): nothing to show; not reached: keep the last list.
        if (alive && typeof (e as { status?: number })?.status === 'number') setList(null);
      });
    return () => {
      alive = false;
    };
  }, [pollId, enabled, trigger, tick]);
  return enabled ? list : null;
}
