// When a meeting was actually held: the times of its `meeting.state` events (→ live, → closed).
// The meeting object carries only the planned `starts_at`; the events are the record of what
// happened. A closed meeting never changes, so what was read once is kept for the session.
import type { EventPage, LiveEvent, Meeting } from '../types';

export interface Held {
  /** When it went live (the first `meeting.state` to `live`). */
  started: string | null;
  /** When it was closed. */
  ended: string | null;
}

export const NOT_HELD: Held = { started: null, ended: null };

/**
 * What the meeting object says (`started_at`/`ended_at`, contract v2), or null when the server
 * does not give them (then the events are read).
 */
export function heldFromMeeting(m: Pick<Meeting, 'started_at' | 'ended_at'>): Held | null {
  if (m.started_at === undefined) return null;
  return { started: m.started_at ?? null, ended: m.ended_at ?? null };
}

/** Folds `meeting.state` events into the times the meeting started and ended. */
export function heldFrom(events: LiveEvent[], prev: Held = NOT_HELD): Held {
  let { started, ended } = prev;
  for (const e of events) {
    if (e.type !== 'meeting.state') continue;
    if (e.data?.state === 'live' && !started) started = e.at;
    if (e.data?.state === 'closed') ended = e.at;
  }
  return { started, ended };
}

/** At most this many pages of events are read looking for the state changes. */
const MAX_PAGES = 20;

/**
 * Reads the meeting's events page by page (`GET …/events?after=N`) until both times are known
 * or the events end.
 */
export async function loadHeld(fetchPage: (after: number) => Promise<EventPage>): Promise<Held> {
  let held = NOT_HELD;
  let after = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(after);
    held = heldFrom(page.events, held);
    if (held.started && held.ended) break;
    const last = page.events.at(-1)?.seq;
    if (last === undefined || last >= page.last_seq) break;
    after = last;
  }
  return held;
}

const cache = new Map<string, Promise<Held>>();

/** `loadHeld` once per closed meeting (a failed read is tried again next time). */
export function heldOnce(meetingId: string, fetchPage: (after: number) => Promise<EventPage>): Promise<Held> {
  let p = cache.get(meetingId);
  if (!p) {
    p = loadHeld(fetchPage);
    p.catch(() => cache.delete(meetingId));
    cache.set(meetingId, p);
  }
  return p;
}
