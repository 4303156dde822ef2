// Answers given while the tablet is offline: kept on the tablet (localStorage) and sent when the
// network is back, in the order given, each with the idempotency key it got when given (a
// retry after a lost answer is the same ballot). One given after the deadline is not sent, and
// one the server refuses because the poll closed meanwhile (409 `poll_not_open`, or
// `poll_closed`, `meeting_closed`) is kept as "late" until the member has read that it did not
// count. Other refusals are final too and reported; a network failure or a server that is not
// answering (401 before a new sign-in, 429, 5xx) leaves the queue as it is for the next try.

/** One answer waiting to be sent. */
export interface Pending {
  /** Who answered (a shared tablet sends each one's answers under their own session). */
  user: string;
  poll: string;
  meeting: string;
  /** The question, to tell the member which answer did not count. */
  title: string;
  choice: string;
  comment: string | null;
  /** The idempotency key, fixed when the answer was given. */
  key: string;
  /** The meeting's deadline when the answer was given (RFC 3339). */
  deadline: string | null;
  /** When it was given (RFC 3339). */
  at: string;
}

export type Outcome =
  | { kind: 'sent'; p: Pending; receipt: string | null }
  | { kind: 'late'; p: Pending }
  | { kind: 'refused'; p: Pending; code: string };

/** An error as thrown by Session.request: an ApiError has a status and a code; a network failure has neither. */
export interface SendError {
  status?: number;
  code?: string;
}

export type Send = (p: Pending) => Promise<{ receipt?: string } | undefined>;

type Store = Pick<Storage, 'getItem' | 'setItem'>;

const QUEUE_KEY = 'ecabinet.written.outbox';
const LATE_KEY = 'ecabinet.written.late';

/** Codes that mean the poll closed before the answer arrived. */
const TOO_LATE = new Set(['poll_not_open', 'poll_closed', 'meeting_closed']);

/** Whether an error says nothing about the answer itself: try again later. */
function transient(e: SendError): boolean {
  if (typeof e?.status !== 'number') return true;
  return e.status === 401 || e.status === 408 || e.status === 429 || e.status >= 500;
}

export class AnswerOutbox {
  private listeners = new Set<() => void>();
  private running: Promise<Outcome[]> | null = null;

  constructor(
    private readonly storage: Store | null,
    private readonly send: Send,
    /** The server's time now (ms). */
    private readonly now: () => number,
  ) {}

  private read(key: string): Pending[] {
    try {
      const v = JSON.parse(this.storage?.getItem(key) ?? '[]');
      return Array.isArray(v) ? v : [];
    } catch {
      return [];
    }
  }

  private write(key: string, list: Pending[]) {
    this.storage?.setItem(key, JSON.stringify(list));
    for (const f of this.listeners) f();
  }

  /** Called after every change of the queue or of the late answers. */
  subscribe(f: () => void): () => void {
    this.listeners.add(f);
    return () => void this.listeners.delete(f);
  }

  /** Queues an answer; a newer answer to the same poll by the same user replaces the older one. */
  add(p: Pending) {
    const rest = this.read(QUEUE_KEY).filter((x) => !(x.user === p.user && x.poll === p.poll));
    this.write(QUEUE_KEY, [...rest, p]);
  }

  /** Drops a queued answer (the member answered again and it went through at once). */
  drop(user: string, poll: string) {
    const list = this.read(QUEUE_KEY);
    const rest = list.filter((x) => !(x.user === user && x.poll === poll));
    if (rest.length !== list.length) this.write(QUEUE_KEY, rest);
  }

  pending(user: string): Pending[] {
    return this.read(QUEUE_KEY).filter((p) => p.user === user);
  }

  /** Answers that arrived after the deadline, not yet acknowledged by the member. */
  late(user: string): Pending[] {
    return this.read(LATE_KEY).filter((p) => p.user === user);
  }

  dismissLate(user: string, poll: string) {
    this.write(
      LATE_KEY,
      this.read(LATE_KEY).filter((x) => !(x.user === user && x.poll === poll)),
    );
  }

  private settle(p: Pending, late: boolean) {
    this.write(
      QUEUE_KEY,
      this.read(QUEUE_KEY).filter((x) => !(x.user === p.user && x.poll === p.poll && x.key === p.key)),
    );
    if (late) this.write(LATE_KEY, [...this.read(LATE_KEY).filter((x) => !(x.user === p.user && x.poll === p.poll)), p]);
  }

  /**
   * Sends the user's queued answers in order; stops at the first one that does not reach the
   * server (the rest wait for the next try). One flush at a time.
   */
  flush(user: string): Promise<Outcome[]> {
    if (this.running) return this.running.then(() => this.flush(user));
    const run = (async () => {
      const out: Outcome[] = [];
      for (const p of this.pending(user)) {
        if (p.deadline && Date.parse(p.deadline) <= this.now()) {
          this.settle(p, true);
          out.push({ kind: 'late', p });
          continue;
        }
        try {
          const r = await this.send(p);
          this.settle(p, false);
          out.push({ kind: 'sent', p, receipt: r?.receipt ?? null });
        } catch (err) {
          const e = err as SendError;
          if (transient(e)) break;
          const late = TOO_LATE.has(e.code ?? '');
          this.settle(p, late);
          out.push(late ? { kind: 'late', p } : { kind: 'refused', p, code: e.code ?? 'unknown' });
        }
      }
      return out;
    })();
    this.running = run;
    return run.finally(() => {
      if (this.running === run) this.running = null;
    });
  }
}

/** Whether a failed send should be queued: it never reached the server (no status). */
export function unreached(e: unknown): boolean {
  return typeof (e as SendError)?.status !== 'number';
}
