// The app's one annotation outbox, kept in IndexedDB and sent with the signed-in session.
// Loaded on demand (the reader, and the meeting screen when the connection returns), so it
// weighs nothing on the first page.
import { session } from '../app';
import { idbLists, idbOps } from './idb';
import type { Annotation } from './model';
import { Outbox, retryable } from './outbox';

export const outbox = new Outbox(idbOps, (m, p, b) => session.request(m, p, b), () => session.user?.id ?? null);

let retry: ReturnType<typeof setTimeout> | undefined;

/** Sends what waits; when the network fails, tries again in a while (and on reconnect). */
export function flushSoon(delay = 0) {
  clearTimeout(retry);
  retry = setTimeout(() => {
    void outbox.flush().then((ok) => {
      if (!ok && outbox.ops().some((o) => o.user === session.user?.id)) flushSoon(15_000);
    });
  }, delay);
}

export interface Listed {
  list: Annotation[];
  /** The server could not be reached: the list kept on this tablet (maybe none). */
  offline: boolean;
}

/** The document's annotations from the server (kept for offline), else the kept copy. */
export async function listAnnotations(doc: string): Promise<Listed> {
  const me = session.user?.id ?? '';
  try {
    const r = await session.request<{ annotations: Annotation[] }>('GET', `/documents/${encodeURIComponent(doc)}/annotations`);
    void idbLists.put(me, doc, r.annotations).catch(() => undefined);
    return { list: r.annotations, offline: false };
  } catch (e) {
    if (!retryable(e)) throw e;
    const kept = await idbLists.get(me, doc).catch(() => null);
    return { list: kept ?? [], offline: true };
  }
}

/** Forgets the kept lists (sign-out: they hold the reader's private annotations). */
export function forgetLists() {
  return idbLists.clear().catch(() => undefined);
}
