import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveClient, LiveRequestError, liveUrl, type LiveOptions, type LiveStatus, type SocketLike } from '../src/live';
import type { EventPage, LiveEvent } from '../src/types';
import { ev } from './fixtures';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: any[] = [];
  closedWith: number | undefined;
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: any }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  constructor(public url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number) {
    this.closedWith = code;
  }
  // test side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  recv(m: object) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

/** A server log of events that `fetchEvents` pages through like GET …/events?after=N. */
function harness(opts: Partial<LiveOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const log: LiveEvent[] = [];
  const applied: LiveEvent[] = [];
  const statuses: LiveStatus[] = [];
  let fetchFails = false;
  const fetchEvents = vi.fn(async (after: number): Promise<EventPage> => {
    if (fetchFails) throw new TypeError('Failed to fetch');
    const events = log.filter((e) => e.seq > after).slice(0, 2); // small pages
    return { events, last_seq: log.length ? log[log.length - 1].seq : 0 };
  });
  const client = new LiveClient({
    url: 'ws://127.0.0.1/api/v1/meetings/m1/live',
    getToken: async () => 'tok',
    refreshToken: vi.fn(async () => undefined),
    fetchEvents,
    onEvents: (es) => applied.push(...es),
    onStatus: (s) => statuses.push(s),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    pollMs: 2000,
    socketRetryMs: 30_000,
    ...opts,
  });
  return {
    client,
    sockets,
    log,
    applied,
    statuses,
    fetchEvents,
    setFetchFails: (v: boolean) => (fetchFails = v),
    add: (n: number) => {
      for (let i = 0; i < n; i++) log.push(ev(log.length + 1, 'meeting.updated', { n: log.length + 1 }));
    },
  };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LiveClient over the websocket', () => {
  it('says hello with last_seq, applies replayed events, then is live on welcome', async () => {
    const h = harness();
    h.client.start(5);
    const s = h.sockets[0];
    s.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.sent[0]).toEqual({ type: 'hello', token: 'tok', last_seq: 5 });
    s.recv(ev(6, 'agenda.changed', { agenda: [] }));
    s.recv(ev(7, 'meeting.state', { state: 'live' }));
    s.recv({ type: 'welcome', seq: 7 });
    expect(h.applied.map((e) => e.seq)).toEqual([6, 7]);
    expect(h.client.status).toBe('socket');
    // A duplicate is ignored; a live event follows.
    s.recv(ev(7, 'meeting.state', { state: 'live' }));
    s.recv(ev(8, 'speaker.changed', { queue: [] }));
    expect(h.applied.map((e) => e.seq)).toEqual([6, 7, 8]);
    expect(h.client.lastSeq).toBe(8);
    expect(h.fetchEvents).not.toHaveBeenCalled();
  });

  it('reconnects after a drop and resumes from its last_seq', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[0].recv(ev(1, 'meeting.state', { state: 'live' }));
    h.sockets[0].recv({ type: 'welcome', seq: 1 });
    h.add(1);
    h.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets[1].sent[0]).toMatchObject({ type: 'hello', last_seq: 1 });
  });

  it('reconnects at once on 4408 (too slow)', async () => {
    const h = harness();
    h.client.start(3);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[0].recv({ type: 'welcome', seq: 3 });
    h.sockets[0].drop(4408);
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].open();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets[1].sent[0]).toMatchObject({ type: 'hello', last_seq: 3 });
  });

  it('refreshes the token and retries on 4401; gives up on 4403', async () => {
    const refresh = vi.fn(async () => undefined);
    const h = harness({ refreshToken: refresh });
    h.client.start(0);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[0].drop(4401);
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledOnce();
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[1].drop(4403);
    expect(h.client.status).toBe('forbidden');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(2);
  });

  it('fills a gap in the live stream over HTTP', async () => {
    const h = harness();
    h.add(4);
    h.client.start(1);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[0].recv({ type: 'welcome', seq: 1 });
    h.sockets[0].recv(h.log[3]); // seq 4 arrives, 2 and 3 missing
    await vi.advanceTimersByTimeAsync(0);
    expect(h.applied.map((e) => e.seq)).toEqual([2, 3, 4]);
  });

  it('renews the token on the open socket', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.client.renewToken('early'); // not welcomed yet: nothing sent
    h.sockets[0].recv({ type: 'welcome', seq: 0 });
    h.client.renewToken('tok2');
    expect(h.sockets[0].sent.map((m) => m.type)).toEqual(['hello', 'auth']);
    expect(h.sockets[0].sent[1]).toMatchObject({ type: 'auth', token: 'tok2' });
    expect(typeof h.sockets[0].sent[1].ref).toBe('string');
  });

  it('passes presence on', async () => {
    const onPresence = vi.fn();
    const h = harness({ onPresence });
    h.client.start(0);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    const msg = { type: 'presence', at: '2026-12-01T01:00:00Z', data: { full: true, users: [{ user_id: 'u1', devices: 2 }] } };
    h.sockets[0].recv(msg);
    expect(onPresence).toHaveBeenCalledWith(msg);
    expect(h.client.lastSeq).toBe(0);
  });
});

describe('LiveClient falling back to polling', () => {
  it('polls /events every 2 s when the socket cannot be opened, paging to the end', async () => {
    const h = harness();
    h.add(3);
    h.client.start(0);
    h.sockets[0].drop(1006); // never opened (no /live route: 404 on upgrade)
    await vi.advanceTimersByTimeAsync(0);
    expect(h.applied.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(h.client.status).toBe('polling');
    h.add(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.applied).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.applied.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(h.fetchEvents).toHaveBeenLastCalledWith(3);
  });

  it('reports offline while the server is unreachable and catches up when it is back', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.client.status).toBe('polling');
    h.setFetchFails(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.client.status).toBe('offline');
    h.add(2);
    h.setFetchFails(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.client.status).toBe('polling');
    expect(h.applied.map((e) => e.seq)).toEqual([1, 2]);
    expect(h.statuses).toEqual(['polling', 'offline', 'polling']);
  });

  it('tries the socket again later and stops polling once welcomed', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.sockets).toHaveLength(2);
    h.sockets[1].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[1].recv({ type: 'welcome', seq: 0 });
    expect(h.client.status).toBe('socket');
    const calls = h.fetchEvents.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.fetchEvents.mock.calls.length).toBe(calls);
  });

  it('goes offline at once when the browser says so, and retries when it is back', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].open();
    await vi.advanceTimersByTimeAsync(0);
    h.sockets[0].recv({ type: 'welcome', seq: 0 });
    h.setFetchFails(true);
    h.client.networkChanged(false);
    expect(h.client.status).toBe('offline');
    expect(h.sockets[0].closedWith).toBe(4000);
    await vi.advanceTimersByTimeAsync(0);
    h.setFetchFails(false);
    h.client.networkChanged(true);
    const s = h.sockets[h.sockets.length - 1];
    s.open();
    await vi.advanceTimersByTimeAsync(0);
    s.recv({ type: 'welcome', seq: 0 });
    expect(h.client.status).toBe('socket');
  });

  it('stops everything on stop()', async () => {
    const h = harness();
    h.client.start(0);
    h.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(0);
    h.client.stop();
    const calls = h.fetchEvents.mock.calls.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.fetchEvents.mock.calls.length).toBe(calls);
    expect(h.sockets).toHaveLength(1);
    expect(h.client.status).toBe('stopped');
  });
});

describe('LiveClient requests and ephemeral events', () => {
  async function welcomed(opts: Partial<LiveOptions> = {}) {
    const h = harness(opts);
    h.client.start(0);
    const s = h.sockets[0];
    s.open();
    await vi.advanceTimersByTimeAsync(0);
    s.recv({ type: 'welcome', seq: 0 });
    return { h, s };
  }

  it('answers a request with its ack, matched by ref', async () => {
    const { h, s } = await welcomed();
    const a = h.client.request({ type: 'presenter.page', document_id: 'd1', page: 3 });
    const b = h.client.request({ type: 'ballot', poll_id: 'p1', choice: 'yes' });
    const [ra, rb] = [s.sent[1], s.sent[2]];
    expect(ra).toMatchObject({ type: 'presenter.page', document_id: 'd1', page: 3 });
    expect(ra.ref).not.toBe(rb.ref);
    // Answers in the other order still reach their own request.
    s.recv({ type: 'ack', ref: rb.ref, receipt: 'R-1' });
    s.recv({ type: 'error', ref: ra.ref, code: 'forbidden', detail: 'only the chair' });
    await expect(b).resolves.toMatchObject({ receipt: 'R-1' });
    await expect(a).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('fails a request at once without a socket, and pending ones when it drops or times out', async () => {
    const h = harness();
    h.client.start(0);
    await expect(h.client.request({ type: 'ping' })).rejects.toBeInstanceOf(LiveRequestError);
    const { h: h2, s } = await welcomed({ requestTimeoutMs: 1000 });
    const lost = h2.client.request({ type: 'ballot', poll_id: 'p', choice: 'no' });
    s.drop(1006);
    await expect(lost).rejects.toMatchObject({ code: 'not_connected' });
    const { h: h3 } = await welcomed({ requestTimeoutMs: 1000 });
    const slow = h3.client.request({ type: 'ballot', poll_id: 'p', choice: 'no' });
    const check = expect(slow).rejects.toMatchObject({ code: 'timeout' });
    await vi.advanceTimersByTimeAsync(1001);
    await check;
  });

  it('hands ephemeral events to onEphemeral, not to the durable log', async () => {
    const got: [string, any][] = [];
    const { h, s } = await welcomed({ onEphemeral: (type, data) => got.push([type, data]) });
    s.recv({ type: 'presenter.page', at: '2026-12-01T01:00:00Z', data: { document_id: 'd1', page: 4, user_id: 'chair' } });
    s.recv({ type: 'pong', ref: 'p1' });
    expect(got).toEqual([['presenter.page', { document_id: 'd1', page: 4, user_id: 'chair' }]]);
    expect(h.applied).toEqual([]);
    expect(h.client.lastSeq).toBe(0);
  });
});

describe('liveUrl', () => {
  it('uses ws: or wss: on the page origin', () => {
    expect(liveUrl('m1', { protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/meetings/m1/live');
    expect(liveUrl('m1', { protocol: 'https:', host: 'hop.example.vn' })).toBe('wss://hop.example.vn/api/v1/meetings/m1/live');
  });
});
