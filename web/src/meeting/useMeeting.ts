// Loads a meeting, keeps it current through the live client, and runs actions.
import { useEffect, useRef, useState } from 'preact/hooks';
import { notifications, session } from '../app';
import { ApiError } from '../session';
import { LiveClient, LiveRequestError, liveUrl, type LiveStatus } from '../live';
import type { PresenterPage } from '../reader/follow';
import type { EventPage, MeetingDetail } from '../types';
import { applyEvents, applyPresence, fromDetail, type MeetingView, type PresenceMap } from './state';

export interface MeetingHandle {
  view: MeetingView | null;
  status: LiveStatus;
  /** Devices online per user, once the live channel reports presence. */
  presence: PresenceMap | null;
  /** The meeting could not be loaded (render with errorText, in the current language). */
  error: { e: unknown } | null;
  /** The last failed action, and where it was (the `where` it was started with; null: nowhere in particular). */
  actionError: { e: unknown; where: string | null } | null;
  clearActionError: () => void;
  /**
   * Sends a request; on success pulls the resulting events at once. A failure is kept in
   * `actionError` with `opts.where`, so the screen shows it next to the control that acted.
   * With `opts.retry` (actions that set a value, safe to send twice) a request that did not
   * reach the server is sent again after 1, 2 and 4 s before the failure is shown.
   */
  act: <T = unknown>(method: string, path: string, body?: unknown, opts?: ActOptions) => Promise<T | undefined>;
  /** After a change made outside `act` (an upload): pull the resulting events now. */
  catchUp: () => Promise<unknown>;
  /** A live-channel request (ref/ack); rejects with LiveRequestError. */
  send: (body: Record<string, unknown>) => Promise<any>;
  /** The latest `presenter.page` (with a counter, so the same page announced twice is seen). */
  presenter: { page: PresenterPage; n: number } | null;
  /**
   * Annotation traffic for an open reader: live events (`annotation.*`, durable and
   * ephemeral) as `(type, data)`, and `('reconnected', null)` when the live channel is back
   * (ephemeral events are not replayed: re-list).
   */
  onAnnotation: (fn: AnnotationListener) => () => void;
}

export type AnnotationListener = (type: string, data: any) => void;

export interface ActOptions {
  /** Where the action was started (a control's key): its failure is shown there. */
  where?: string;
  /** Safe to send again (it sets a value): retried when the network failed. */
  retry?: boolean;
}

/** The waits before resending a retryable action that did not reach the server. */
export const RETRY_DELAYS_MS = [1000, 2000, 4000];

/**
 * Runs `send`, resending after each delay while it fails without an answer from the server
 * (`isFinal` false) and the action is retryable. Resolves with the result or rejects with the
 * last error.
 */
export async function withRetry<T>(send: () => Promise<T>, retry: boolean, isFinal: (e: unknown) => boolean, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (!retry || isFinal(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
      await sleep(RETRY_DELAYS_MS[attempt]);
    }
  }
}

/** Sends the annotations kept on the tablet (annotations/sync.ts, loaded on demand). */
function flushAnnotations() {
  void import('../annotations/sync').then((m) => m.flushSoon()).catch(() => undefined);
}

export function useMeeting(id: string): MeetingHandle {
  const [view, setView] = useState<MeetingView | null>(null);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [presence, setPresence] = useState<PresenceMap | null>(null);
  const [error, setError] = useState<{ e: unknown } | null>(null);
  const [actionError, setActionError] = useState<{ e: unknown; where: string | null } | null>(null);
  const [presenter, setPresenter] = useState<{ page: PresenterPage; n: number } | null>(null);
  const live = useRef<LiveClient | null>(null);
  const annotationListeners = useRef(new Set<AnnotationListener>());
  const toAnnotations = (type: string, data: any) => {
    for (const f of annotationListeners.current) f(type, data);
  };

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const d = await session.request<MeetingDetail>('GET', `/meetings/${encodeURIComponent(id)}`);
        if (!alive) return;
        const v = fromDetail(d);
        setView(v);
        setError(null);
        live.current?.stop();
        const client = new LiveClient({
          url: liveUrl(id),
          getToken: () => session.token(),
          refreshToken: () => session.refresh(),
          fetchEvents: (after) =>
            session.request<EventPage>('GET', `/meetings/${encodeURIComponent(id)}/events?after=${after}`),
          onEvents: (events) => {
            setView((cur) => (cur ? applyEvents(cur, events) : cur));
            for (const e of events) if (e.type.startsWith('annotation.')) toAnnotations(e.type, e.data);
          },
          onStatus: (st) => {
            setStatus(st);
            if (st === 'socket' || st === 'polling') {
              flushAnnotations();
              toAnnotations('reconnected', null);
            }
            // Presence only comes over the socket; without it, show none rather than stale dots.
            if (st !== 'socket') setPresence(null);
          },
          onPresence: (msg) => setPresence((cur) => applyPresence(cur ?? new Map(), msg)),
          onEphemeral: (type, data) => {
            if (type === 'presenter.page') setPresenter((cur) => ({ page: data as PresenterPage, n: (cur?.n ?? 0) + 1 }));
            else if (type.startsWith('annotation.')) toAnnotations(type, data);
            // For this user whatever the meeting (docs/live.md): the header's badge rises at once.
            else if (type === 'notification.new') notifications.receive(data);
          },
          onResync: () => void load(),
        });
        live.current = client;
        client.start(v.lastSeq);
      } catch (e) {
        if (alive) setError({ e });
      }
    };
    void load();
    let token = session.current?.access_token;
    const unsubscribe = session.subscribe((st) => {
      if (st && st.access_token !== token) {
        token = st.access_token;
        live.current?.renewToken(st.access_token);
      }
    });
    const online = () => live.current?.networkChanged(true);
    const offline = () => live.current?.networkChanged(false);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      unsubscribe();
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      alive = false;
      live.current?.stop();
      live.current = null;
    };
  }, [id]);

  async function act<T>(method: string, path: string, body?: unknown, opts: ActOptions = {}): Promise<T | undefined> {
    setActionError(null);
    try {
      const r = await withRetry(
        () => session.request<T>(method, path, body),
        !!opts.retry,
        (e) => e instanceof ApiError,
        (ms) => new Promise((ok) => setTimeout(ok, ms)),
      );
      await live.current?.catchUp();
      return r;
    } catch (e) {
      setActionError({ e, where: opts.where ?? null });
      return undefined;
    }
  }

  const send = (body: Record<string, unknown>) =>
    live.current ? live.current.request(body) : Promise.reject(new LiveRequestError('not_connected'));
  const catchUp = () => live.current?.catchUp() ?? Promise.resolve();

  return {
    view,
    status,
    presence,
    error,
    actionError,
    clearActionError: () => setActionError(null),
    act,
    catchUp,
    send,
    presenter,
    onAnnotation: (fn) => {
      annotationListeners.current.add(fn);
      return () => annotationListeners.current.delete(fn);
    },
  };
}
