import { describe, expect, it } from 'vitest';
import { Outbox, coalesce, retryable, type Op, type OpStorage, type OutboxEvent } from '../src/annotations/outbox';
import type { Annotation } from '../src/annotations/model';

class MemStorage implements OpStorage {
  rows = new Map<number, Op>();
  async all() {
    return [...this.rows.values()].map((o) => structuredClone(o));
  }
  async put(op: Op) {
    this.rows.set(op.key, structuredClone(op));
  }
  async del(key: number) {
    this.rows.delete(key);
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

/** A fake server keeping annotations by id, with the real idempotency and revision rules. */
class FakeServer {
  rows = new Map<string, Annotation>();
  online = true;
  calls: string[] = [];
  /** Fail the answer (not the change) of the next create: a lost answer. */
  loseNextAnswer = false;
  request = async <T>(method: string, path: string, body?: any): Promise<T> => {
    this.calls.push(`${method} ${path}`);
    if (!this.online) throw new TypeError('Failed to fetch');
    const id = decodeURIComponent(path.split('/')[2]);
    if (method === 'POST') {
      const doc = decodeURIComponent(path.split('/')[2]);
      const cur = this.rows.get(body.id);
      if (cur) {
        const same = cur.shared === body.shared && JSON.stringify(cur.data) === JSON.stringify(body.data) && cur.page === body.page;
        if (!same) throw new HttpErr(409, 'annotation_exists');
        return cur as T;
      }
      if (body.document_version !== undefined && body.document_version !== 1) throw new HttpErr(409, 'stale_document_version');
      const a: Annotation = { id: body.id, document_id: doc, page: body.page, kind: body.kind, shared: body.shared, user_id: 'me', version: 1, data: body.data };
      this.rows.set(a.id, a);
      if (this.loseNextAnswer) {
        this.loseNextAnswer = false;
        throw new TypeError('connection reset');
      }
      return a as T;
    }
    const cur = this.rows.get(id);
    if (!cur) throw new HttpErr(404, 'not_found');
    if (method === 'GET') return cur as T;
    if (method === 'DELETE') {
      this.rows.delete(id);
      return undefined as T;
    }
    if (body.version !== cur.version) throw new HttpErr(409, 'stale_version');
    const { version: _, ...patch } = body;
    const next = { ...cur, ...patch, version: cur.version + 1 };
    this.rows.set(id, next);
    return next as T;
  };
}

function setup(storage = new MemStorage(), server = new FakeServer(), me = 'me') {
  const box = new Outbox(storage, server.request, () => me);
  const events: OutboxEvent[] = [];
  box.subscribe((e) => events.push(e));
  return { box, storage, server, events };
}
const body = (text = 'a') => ({ page: 1, kind: 'note' as const, shared: false, data: { x: 0.5, y: 0.5, text }, document_version: 1 });

describe('coalescing waiting changes', () => {
  const c: Op = { key: 1, user: 'me', id: 'a', doc: 'd', kind: 'create', body: body() };
  const u = (k: number, patch: object, base = 1): Op => ({ key: k, user: 'me', id: 'a', doc: 'd', kind: 'update', base, patch });
  const d = (k: number): Op => ({ key: k, user: 'me', id: 'a', doc: 'd', kind: 'delete' });
  it('folds an edit into a waiting create', () => {
    expect(coalesce([c], u(2, { shared: true }))).toEqual([{ ...c, body: { ...c.body, shared: true } }]);
  });
  it('cancels a create deleted before it was sent', () => {
    expect(coalesce([c], d(2))).toEqual([]);
  });
  it('merges edits on the first one’s base, and a delete replaces an edit', () => {
    expect(coalesce([u(1, { shared: true })], u(2, { data: 1 }, 7))).toEqual([{ ...u(1, { shared: true, data: 1 }) }]);
    expect(coalesce([u(1, { shared: true })], d(2))).toEqual([d(2)]);
  });
  it('never merges into the change being sent, nor across users', () => {
    expect(coalesce([c], d(2), 1)).toEqual([c, d(2)]);
    expect(coalesce([c], { ...d(2), user: 'other' })).toHaveLength(2);
  });
  it('tells network failures and busy servers from refusals', () => {
    expect(retryable(new TypeError('Failed to fetch'))).toBe(true);
    expect(retryable({ status: 503 })).toBe(true);
    expect(retryable({ status: 409, code: 'stale_version' })).toBe(false);
    expect(retryable({ status: 422 })).toBe(false);
  });
});

describe('the outbox against a server', () => {
  it('sends in order and reports what the server stored', async () => {
    const { box, server, events, storage } = setup();
    await box.create('me', { id: 'n1', doc: 'd', body: body('one') });
    expect(await box.flush()).toBe(true);
    expect(server.rows.get('n1')?.data.text).toBe('one');
    expect(events.some((e) => e.type === 'saved' && e.annotation.id === 'n1')).toBe(true);
    expect(storage.rows.size).toBe(0);
  });

  it('keeps changes made offline across a reload and sends each once when back', async () => {
    const server = new FakeServer();
    server.online = false;
    const storage = new MemStorage();
    const first = setup(storage, server).box;
    await first.create('me', { id: 'n1', doc: 'd', body: body('offline') });
    await first.create('me', { id: 'n2', doc: 'd', body: body('second') });
    expect(await first.flush()).toBe(false);
    expect(storage.rows.size).toBe(2);
    // The page reloads: a new outbox reads the same storage.
    server.online = true;
    const { box } = setup(storage, server);
    expect(await box.flush()).toBe(true);
    expect([...server.rows.keys()].sort()).toEqual(['n1', 'n2']);
    expect(server.calls.filter((c) => c.startsWith('POST')).length).toBeGreaterThanOrEqual(4); // tried offline, then sent
    expect(storage.rows.size).toBe(0);
  });

  it('a create whose answer was lost is stored once when retried', async () => {
    const { box, server, events } = setup();
    server.loseNextAnswer = true;
    await box.create('me', { id: 'n1', doc: 'd', body: body() });
    // The first attempt's answer is lost; the flush after it sends the same create again.
    expect(await box.flush()).toBe(true);
    expect(server.calls.filter((c) => c.startsWith('POST')).length).toBeGreaterThanOrEqual(2);
    expect(server.rows.size).toBe(1);
    expect(events.filter((e) => e.type === 'saved')).toHaveLength(1);
  });

  it('re-applies a local edit onto a create that reached the server with a lost answer', async () => {
    const { box, server } = setup();
    // The create reached the server (its answer was lost), then was edited here while queued.
    server.rows.set('n1', { id: 'n1', document_id: 'd', page: 1, kind: 'note', shared: false, user_id: 'me', version: 1, data: { x: 0.5, y: 0.5, text: 'first' } });
    server.online = false;
    await box.create('me', { id: 'n1', doc: 'd', body: body('first') });
    await box.update('me', { id: 'n1', doc: 'd', base: 0, patch: { data: { x: 0.5, y: 0.5, text: 'edited' } } });
    expect(box.ops()).toHaveLength(1);
    server.online = true;
    expect(await box.flush()).toBe(true);
    expect(server.rows.get('n1')).toMatchObject({ version: 2, data: { text: 'edited' } });
  });

  it('does not overwrite a change made elsewhere: stale_version reports the server’s version', async () => {
    const { box, server, events } = setup();
    await box.create('me', { id: 'n1', doc: 'd', body: body('mine') });
    await box.flush();
    // Another tablet of the same user edits it (revision 2).
    await server.request('PATCH', '/annotations/n1', { version: 1, data: { x: 0.5, y: 0.5, text: 'other tablet' } });
    await box.update('me', { id: 'n1', doc: 'd', base: 1, patch: { data: { x: 0.5, y: 0.5, text: 'this tablet' } } });
    expect(await box.flush()).toBe(true);
    expect(server.rows.get('n1')!.data.text).toBe('other tablet');
    const conflict = events.find((e) => e.type === 'conflict');
    expect(conflict).toMatchObject({ id: 'n1', annotation: { version: 2, data: { text: 'other tablet' } } });
  });

  it('builds later edits on its own earlier ones (no false conflict)', async () => {
    const { box, server } = setup();
    await box.create('me', { id: 'n1', doc: 'd', body: body() });
    await box.flush();
    server.online = false;
    await box.update('me', { id: 'n1', doc: 'd', base: 1, patch: { shared: true } });
    await box.flush();
    // While the first edit is "in flight" (queued), another one on the same base comes.
    server.online = true;
    const sending = box.flush();
    await box.update('me', { id: 'n1', doc: 'd', base: 1, patch: { shared: false } });
    await sending;
    await box.flush();
    expect(server.rows.get('n1')).toMatchObject({ shared: false, version: 3 });
  });

  it('a create and delete made offline cancel out; a delete of something gone is done', async () => {
    const { box, server, events } = setup();
    server.online = false;
    await box.create('me', { id: 'n1', doc: 'd', body: body() });
    await box.remove('me', { id: 'n1', doc: 'd' });
    expect(box.ops()).toHaveLength(0);
    server.online = true;
    await box.remove('me', { id: 'ghost', doc: 'd' });
    expect(await box.flush()).toBe(true);
    expect(events.some((e) => e.type === 'gone' && e.id === 'ghost')).toBe(true);
  });

  it('moves a create onto the new document version when one came meanwhile', async () => {
    const { box, server } = setup();
    await box.create('me', { id: 'n1', doc: 'd', body: { ...body(), document_version: 0 } });
    expect(await box.flush()).toBe(true);
    expect(server.rows.has('n1')).toBe(true);
  });

  it('drops and reports what the server refuses', async () => {
    const server = new FakeServer();
    const real = server.request;
    const refusing = async <T>(m: string, p: string, b?: any): Promise<T> => {
      if (m === 'POST' && b?.shared) throw new HttpErr(403, 'observer_private_only');
      return real<T>(m, p, b);
    };
    const box = new Outbox(new MemStorage(), refusing, () => 'me');
    const seen: OutboxEvent[] = [];
    box.subscribe((e) => seen.push(e));
    await box.create('me', { id: 's1', doc: 'd', body: { ...body(), shared: true } });
    await box.create('me', { id: 'p1', doc: 'd', body: body() });
    expect(await box.flush()).toBe(true);
    expect(seen.find((e) => e.type === 'refused')).toMatchObject({ id: 's1', error: { code: 'observer_private_only' } });
    // The refusal does not hold up what comes after it.
    expect([...server.rows.keys()]).toEqual(['p1']);
    expect(box.ops()).toHaveLength(0);
  });

  it('sends only the signed-in user’s changes', async () => {
    const storage = new MemStorage();
    const server = new FakeServer();
    const other = setup(storage, server, 'someone').box;
    await other.create('me', { id: 'n1', doc: 'd', body: body() });
    expect(await other.flush()).toBe(true);
    expect(server.rows.size).toBe(0);
    expect(storage.rows.size).toBe(1);
  });
});
