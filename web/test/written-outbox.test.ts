import { describe, expect, it } from 'vitest';
import { AnswerOutbox, unreached, type Pending } from '../src/written/outbox';

class MemStore {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

class HttpErr extends Error {
  constructor(
    public status: number,
    public code: string,
  ) {
    super(code);
  }
}

const T0 = Date.parse('2026-12-08T01:00:00Z');

function answer(poll: string, extra: Partial<Pending> = {}): Pending {
  return {
    user: 'u1',
    poll,
    meeting: 'm1',
    title: `Câu hỏi ${poll}`,
    choice: 'agree',
    comment: null,
    key: `key-${poll}`,
    deadline: new Date(T0 + 60_000).toISOString(),
    at: new Date(T0).toISOString(),
    ...extra,
  };
}

/** A fake server: offline (a network failure, no status) or answering per poll. */
function setup() {
  const store = new MemStore();
  const sent: Pending[] = [];
  const state = { online: false, now: T0, refuse: new Map<string, HttpErr>() };
  const outbox = new AnswerOutbox(
    store,
    async (p) => {
      if (!state.online) throw new TypeError('Failed to fetch');
      const err = state.refuse.get(p.poll);
      if (err) throw err;
      sent.push(p);
      return { receipt: `r-${p.poll}` };
    },
    () => state.now,
  );
  return { store, sent, state, outbox };
}

describe('answers given offline', () => {
  it('are kept on the tablet, survive a reload and are sent in order once the network is back', async () => {
    const { store, sent, state, outbox } = setup();
    outbox.add(answer('p1'));
    outbox.add(answer('p2', { choice: 'other', comment: 'Lùi thời hạn' }));
    expect(await outbox.flush('u1')).toEqual([]);
    expect(outbox.pending('u1')).toHaveLength(2);
    // A reload: a new outbox on the same storage.
    const again = new AnswerOutbox(store, async (p) => (sent.push(p), { receipt: `r-${p.poll}` }), () => state.now);
    state.online = true;
    const out = await again.flush('u1');
    expect(out.map((o) => [o.kind, o.p.poll])).toEqual([
      ['sent', 'p1'],
      ['sent', 'p2'],
    ]);
    expect(sent.map((p) => [p.poll, p.key, p.comment])).toEqual([
      ['p1', 'key-p1', null],
      ['p2', 'key-p2', 'Lùi thời hạn'],
    ]);
    expect(again.pending('u1')).toEqual([]);
  });

  it('keep only the latest answer per poll and each user’s own', async () => {
    const { sent, state, outbox } = setup();
    outbox.add(answer('p1', { choice: 'disagree', key: 'k1' }));
    outbox.add(answer('p1', { choice: 'agree', key: 'k2' }));
    outbox.add(answer('p1', { user: 'u2', choice: 'other', comment: 'x', key: 'k3' }));
    state.online = true;
    await outbox.flush('u1');
    expect(sent.map((p) => [p.user, p.choice, p.key])).toEqual([['u1', 'agree', 'k2']]);
    expect(outbox.pending('u2')).toHaveLength(1);
  });

  it('past the deadline are not sent, and the member is told', async () => {
    const { sent, state, outbox } = setup();
    outbox.add(answer('p1'));
    state.online = true;
    state.now = T0 + 61_000;
    const out = await outbox.flush('u1');
    expect(out.map((o) => o.kind)).toEqual(['late']);
    expect(sent).toEqual([]);
    expect(outbox.late('u1').map((p) => p.poll)).toEqual(['p1']);
    outbox.dismissLate('u1', 'p1');
    expect(outbox.late('u1')).toEqual([]);
  });

  it('that reach a poll closed meanwhile (409) are late; other refusals are reported; a busy server keeps them', async () => {
    const { state, outbox } = setup();
    outbox.add(answer('p1'));
    outbox.add(answer('p2'));
    outbox.add(answer('p3'));
    state.online = true;
    // The server's clock closed the poll before this tablet's deadline check would.
    state.refuse.set('p1', new HttpErr(409, 'poll_not_open'));
    state.refuse.set('p2', new HttpErr(422, 'comment_required'));
    state.refuse.set('p3', new HttpErr(503, 'service_unavailable'));
    const out = await outbox.flush('u1');
    expect(out.map((o) => [o.kind, o.p.poll, o.kind === 'refused' ? o.code : null])).toEqual([
      ['late', 'p1', null],
      ['refused', 'p2', 'comment_required'],
    ]);
    expect(outbox.late('u1').map((p) => p.poll)).toEqual(['p1']);
    expect(outbox.pending('u1').map((p) => p.poll)).toEqual(['p3']);
    state.refuse.delete('p3');
    expect((await outbox.flush('u1')).map((o) => o.kind)).toEqual(['sent']);
  });

  it('are sent once even when two flushes start together', async () => {
    const { sent, state, outbox } = setup();
    outbox.add(answer('p1'));
    state.online = true;
    await Promise.all([outbox.flush('u1'), outbox.flush('u1')]);
    expect(sent).toHaveLength(1);
  });

  it('tell listeners of each change', async () => {
    const { state, outbox } = setup();
    let n = 0;
    const off = outbox.subscribe(() => n++);
    outbox.add(answer('p1'));
    expect(n).toBe(1);
    state.online = true;
    await outbox.flush('u1');
    expect(n).toBeGreaterThan(1);
    off();
  });

  it('go into the queue only when the request never reached the server', () => {
    expect(unreached(new TypeError('Failed to fetch'))).toBe(true);
    expect(unreached(new HttpErr(409, 'poll_not_open'))).toBe(false);
  });
});
