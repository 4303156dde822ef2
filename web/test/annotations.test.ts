import { describe, expect, it } from 'vitest';
import {
  addPoint,
  hits,
  meaningfulRect,
  newId,
  pathOf,
  rectFrom,
  snapToText,
  toClient,
  toPage,
  topAt,
  validStroke,
  type Annotation,
  type Point,
} from '../src/annotations/model';
import { applyEvent, expireStrokes, fromList, moveTarget, onPage, orphans, overlay, patched, strokeBatch, type Context } from '../src/annotations/store';
import { UndoStack, inverse, snapshot } from '../src/annotations/undo';
import type { Op } from '../src/annotations/outbox';

const ink = (id: string, over: Partial<Annotation> = {}): Annotation => ({
  id,
  document_id: 'd1',
  page: 1,
  kind: 'ink',
  shared: false,
  user_id: 'me',
  version: 1,
  data: { strokes: [{ points: [[0.1, 0.1], [0.5, 0.1]], color: '#d01010', width: 0.004 }] },
  ...over,
});

describe('coordinates', () => {
  const box = { left: 100, top: 50, width: 400, height: 600 };
  it('maps pointer positions to page fractions and back, whatever the zoom', () => {
    expect(toPage(box, 300, 350)).toEqual([0.5, 0.5]);
    expect(toPage({ ...box, width: 800, height: 1200 }, 500, 650)).toEqual([0.5, 0.5]);
    expect(toClient(box, [0.25, 0.75])).toEqual({ x: 200, y: 500 });
  });
  it('clamps to the page and keeps pressure only when given', () => {
    expect(toPage(box, 0, 10_000)).toEqual([0, 1]);
    expect(toPage(box, 300, 350, 0.734)).toEqual([0.5, 0.5, 0.734]);
    expect(toPage(box, 300, 350, 3)).toEqual([0.5, 0.5, 1]);
    expect(toPage(box, 300, 350, NaN)).toEqual([0.5, 0.5]);
  });
  it('rounds to short JSON', () => {
    const [x] = toPage({ left: 0, top: 0, width: 3, height: 3 }, 1, 1);
    expect(String(x).length).toBeLessThanOrEqual(8);
  });
  it('thins points closer than the threshold, and caps a stroke', () => {
    const pts: Point[] = [];
    expect(addPoint(pts, [0.1, 0.1], 1.4)).toBe(true);
    expect(addPoint(pts, [0.1001, 0.1], 1.4)).toBe(false);
    expect(addPoint(pts, [0.11, 0.1], 1.4)).toBe(true);
    expect(pts).toHaveLength(2);
    const full: Point[] = Array.from({ length: 5000 }, (_, i) => [i / 5000, 0]);
    expect(addPoint(full, [1, 1], 1)).toBe(false);
  });
  it('makes a rectangle from any two corners, inside the page', () => {
    expect(rectFrom([0.5, 0.6], [0.2, 0.1])).toEqual([0.2, 0.1, 0.3, 0.5]);
    expect(rectFrom([0.9, 0.9], [1, 1])).toEqual([0.9, 0.9, 0.1, 0.1]);
    expect(meaningfulRect(rectFrom([0.1, 0.1], [0.101, 0.2]))).toBe(false);
    expect(meaningfulRect(rectFrom([0.1, 0.1], [0.3, 0.2]))).toBe(true);
  });
  it('draws paths in the SVG box', () => {
    expect(pathOf([[0, 0], [0.5, 1]], 1000, 1414)).toBe('M0 0L500 1414');
    expect(pathOf([[0.1, 0.1]], 1000, 1000)).toBe('M100 100l0.01 0');
  });
  it('validates strokes as the server does', () => {
    expect(validStroke({ points: [[0, 1, 0.5]], color: '#AbCdEf', width: 0.1 })).toBe(true);
    expect(validStroke({ points: [], color: '#000000', width: 0.01 })).toBe(false);
    expect(validStroke({ points: [[0, 1.01]], color: '#000000', width: 0.01 })).toBe(false);
    expect(validStroke({ points: [[0, 1]], color: 'red', width: 0.01 })).toBe(false);
    expect(validStroke({ points: [[0, 1]], color: '#000000', width: 0.2 })).toBe(false);
  });
  it('makes UUIDs', () => {
    expect(newId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(newId()).not.toBe(newId());
  });
});

describe('hit testing (eraser, selection)', () => {
  it('touches ink near its segments, counting the page aspect', () => {
    const a = ink('a');
    expect(hits(a, [0.3, 0.105], 1.4)).toBe(true);
    expect(hits(a, [0.3, 0.2], 1.4)).toBe(false);
    // The same fraction of height is farther on a tall page.
    expect(hits(a, [0.3, 0.112], 1)).toBe(true);
    expect(hits(a, [0.3, 0.112], 3)).toBe(false);
  });
  it('touches highlights inside their rectangles and notes on their pin', () => {
    const h: Annotation = { ...ink('h'), kind: 'highlight', data: { rects: [[0.1, 0.1, 0.2, 0.05]], color: '#ffd400' } };
    expect(hits(h, [0.2, 0.12], 1.4)).toBe(true);
    expect(hits(h, [0.5, 0.12], 1.4)).toBe(false);
    const n: Annotation = { ...ink('n'), kind: 'note', data: { x: 0.5, y: 0.5, text: 'x' } };
    expect(hits(n, [0.52, 0.5], 1.4)).toBe(true);
    expect(hits(n, [0.6, 0.5], 1.4)).toBe(false);
  });
  it('picks the topmost annotation passing the filter', () => {
    const list = [ink('a'), ink('b', { user_id: 'other' })];
    expect(topAt(list, [0.3, 0.1], 1.4)?.id).toBe('b');
    expect(topAt(list, [0.3, 0.1], 1.4, (a) => a.user_id === 'me')?.id).toBe('a');
    expect(topAt(list, [0.9, 0.9], 1.4)).toBeNull();
  });
  it('snaps a dragged rectangle to the text lines it covers', () => {
    const words: [number, number, number, number][] = [
      [0.1, 0.1, 0.1, 0.02],
      [0.21, 0.1, 0.1, 0.02],
      [0.1, 0.14, 0.3, 0.02],
      [0.1, 0.5, 0.3, 0.02],
    ];
    const out = snapToText([0.15, 0.09, 0.1, 0.06], words);
    expect(out).toHaveLength(2);
    expect(out[0][1]).toBeCloseTo(0.1);
    expect(out[0][0]).toBeCloseTo(0.15);
    expect(out[0][0] + out[0][2]).toBeCloseTo(0.25);
    expect(out[1][1]).toBeCloseTo(0.14);
    expect(snapToText([0.6, 0.6, 0.1, 0.1], words)).toEqual([]);
  });
});

describe('live events on the annotations shown', () => {
  const ctx = (over: Partial<Context> = {}): Context => ({ me: 'me', docId: 'd1', pending: new Set(), deleted: new Set(), ...over });
  const base = fromList([ink('a'), ink('s', { user_id: 'other', shared: true })]);

  it('reads the list, skipping malformed entries', () => {
    expect([...fromList([ink('a'), { id: 'x' }, null]).keys()]).toEqual(['a']);
    expect(fromList('nonsense').size).toBe(0);
  });
  it('adds shared annotations from others and drops their strokes in progress', () => {
    const r = applyEvent(base, 'annotation.created', ink('n', { user_id: 'other', shared: true }), ctx());
    expect(r.items.has('n')).toBe(true);
    expect(r.finished).toBe('n');
  });
  it('ignores other documents', () => {
    const r = applyEvent(base, 'annotation.created', ink('n', { document_id: 'd2' }), ctx());
    expect(r.items).toBe(base);
  });
  it('never goes back to an older revision', () => {
    const newer = applyEvent(base, 'annotation.updated', ink('s', { user_id: 'other', shared: true, version: 3 }), ctx()).items;
    const older = applyEvent(newer, 'annotation.updated', ink('s', { user_id: 'other', shared: true, version: 2 }), ctx()).items;
    expect(older.get('s')!.version).toBe(3);
  });
  it('removes what was deleted or unshared by someone else', () => {
    expect(applyEvent(base, 'annotation.deleted', { id: 's', document_id: 'd1', user_id: 'other' }, ctx()).items.has('s')).toBe(false);
    expect(applyEvent(base, 'annotation.deleted', { id: 's', document_id: 'd1', user_id: 'other', unshared: true }, ctx()).items.has('s')).toBe(false);
  });
  it('keeps its own annotation made private again (the private update may come first)', () => {
    const mine = fromList([ink('m', { shared: false, version: 2 })]);
    const r = applyEvent(mine, 'annotation.deleted', { id: 'm', document_id: 'd1', user_id: 'me', unshared: true }, ctx());
    expect(r.items.get('m')!.version).toBe(2);
  });
  it('applies its own private changes from its other devices, never someone else’s', () => {
    const r = applyEvent(base, 'annotation.private.created', ink('p'), ctx());
    expect(r.items.has('p')).toBe(true);
    expect(applyEvent(base, 'annotation.private.created', ink('q', { user_id: 'other' }), ctx()).items.has('q')).toBe(false);
    expect(applyEvent(base, 'annotation.private.deleted', { id: 'a', document_id: 'd1', user_id: 'me' }, ctx()).items.has('a')).toBe(false);
  });
  it('asks to fetch references too big to inline, unless already as new', () => {
    expect(applyEvent(base, 'annotation.private.updated', { id: 'a', document_id: 'd1', user_id: 'me', version: 2, fetch: true }, ctx()).fetch).toBe('a');
    expect(applyEvent(base, 'annotation.private.updated', { id: 'a', document_id: 'd1', user_id: 'me', version: 1, fetch: true }, ctx()).fetch).toBeUndefined();
  });
  it('leaves alone what this tablet changed and has not yet confirmed, or deleted', () => {
    const r = applyEvent(base, 'annotation.updated', ink('a', { version: 5, shared: true }), ctx({ pending: new Set(['a']) }));
    expect(r.items.get('a')!.version).toBe(1);
    const d = applyEvent(fromList([]), 'annotation.created', ink('gone', { shared: true }), ctx({ deleted: new Set(['gone']) }));
    expect(d.items.has('gone')).toBe(false);
  });
  it('sorts a page highlights, then ink, then notes, leaving orphans out', () => {
    const items = fromList([
      { ...ink('n'), kind: 'note', data: { x: 0.1, y: 0.1, text: 't' } },
      ink('i'),
      { ...ink('h'), kind: 'highlight', data: { rects: [[0, 0, 0.1, 0.1]], color: '#ffd400' } },
      ink('o', { orphaned: true }),
      ink('p2', { page: 2 }),
    ]);
    expect(onPage(items, 1).map((a) => a.id)).toEqual(['h', 'i', 'n']);
  });
});

describe('annotations whose page is gone (orphans)', () => {
  const note = (id: string, over: Partial<Annotation> = {}) => ({ ...ink(id), kind: 'note' as const, data: { x: 0.1, y: 0.1, text: 't' }, ...over });
  it('lists only the orphans, by old page, then kind, then creation', () => {
    const items = fromList([
      ink('on-page'),
      note('n5', { page: 5, orphaned: true }),
      ink('i3', { page: 3, orphaned: true, created_at: '2026-11-02T00:00:00Z' }),
      note('n3', { page: 3, orphaned: true }),
      ink('i3-early', { page: 3, orphaned: true, created_at: '2026-11-01T00:00:00Z' }),
      ink('moved', { page: 2, orphaned: false }),
    ]);
    expect(orphans(items).map((a) => a.id)).toEqual(['i3-early', 'i3', 'n3', 'n5']);
    expect(orphans(fromList([ink('a'), ink('b', { page: 9 })]))).toEqual([]);
  });
  it('a move onto a page clears the flag, other changes keep it', () => {
    const o = ink('o', { page: 3, orphaned: true });
    expect(patched(o, { page: 1 })).toMatchObject({ page: 1, orphaned: false });
    expect(patched(o, { shared: true })).toMatchObject({ page: 3, orphaned: true, shared: true });
    expect(patched(ink('a'), { page: 2 }).orphaned).toBeUndefined();
  });
  it('a move made offline shows the annotation on its new page after a reload', () => {
    const items = overlay(fromList([ink('o', { page: 3, orphaned: true })]), [{ key: 1, user: 'me', doc: 'd1', kind: 'update', id: 'o', base: 1, patch: { page: 1 } }], 'd1', 'me');
    expect(orphans(items)).toEqual([]);
    expect(onPage(items, 1).map((a) => a.id)).toEqual(['o']);
  });
  it('offers the old page when it exists, else the last page', () => {
    expect(moveTarget(3, 1)).toBe(1);
    expect(moveTarget(3, 10)).toBe(3);
    expect(moveTarget(7, 5)).toBe(5);
  });
});

describe('the outbox laid over the list', () => {
  const op = (o: Partial<Op> & Pick<Op, 'kind' | 'id'>): Op => ({ key: 1, user: 'me', doc: 'd1', ...o }) as Op;
  it('shows creations, edits and deletions made offline', () => {
    const items = overlay(
      fromList([ink('a'), ink('b')]),
      [
        op({ kind: 'create', id: 'c', body: { page: 2, kind: 'note', shared: false, data: { x: 0.1, y: 0.1, text: 'hi' } } }),
        op({ kind: 'update', id: 'a', base: 1, patch: { shared: true } }),
        op({ kind: 'delete', id: 'b' }),
        op({ kind: 'delete', id: 'a', doc: 'd2' }),
        op({ kind: 'delete', id: 'a', user: 'someone-else' }),
      ],
      'd1',
      'me',
    );
    expect([...items.keys()].sort()).toEqual(['a', 'c']);
    expect(items.get('a')!.shared).toBe(true);
    expect(items.get('c')).toMatchObject({ version: 0, page: 2, kind: 'note', user_id: 'me', replies: [] });
  });
});

describe('others’ ink in progress', () => {
  const batch = (points: unknown[][], over: object = {}) => ({ document_id: 'd1', page: 1, stroke_id: 's1', points, color: '#1f4fd1', width: 0.003, user_id: 'u2', ...over });
  it('grows by batches and ends when its annotation arrives', () => {
    let s = strokeBatch(new Map(), batch([[0.1, 0.1]]), 'd1', 'me', 1000);
    s = strokeBatch(s, batch([[0.2, 0.2], [0.3, 0.3, 0.5], ['x', 1]]), 'd1', 'me', 1050);
    expect(s.get('s1')!.points).toEqual([[0.1, 0.1], [0.2, 0.2], [0.3, 0.3, 0.5]]);
    expect(expireStrokes(s, 1100, ['s1']).size).toBe(0);
  });
  it('fades out when the author stops without storing it', () => {
    const s = strokeBatch(new Map(), batch([[0.1, 0.1]]), 'd1', 'me', 0);
    expect(expireStrokes(s, 5000)).toBe(s);
    expect(expireStrokes(s, 9000).size).toBe(0);
  });
  it('ignores its own strokes and other documents', () => {
    expect(strokeBatch(new Map(), batch([[0.1, 0.1]], { user_id: 'me' }), 'd1', 'me', 0).size).toBe(0);
    expect(strokeBatch(new Map(), batch([[0.1, 0.1]], { document_id: 'd2' }), 'd1', 'me', 0).size).toBe(0);
  });
});

describe('undo', () => {
  it('undoes the last change first, each by its inverse', () => {
    const u = new UndoStack();
    const a = ink('a');
    u.push({ kind: 'create', annotation: a });
    u.push({ kind: 'edit', id: 'a', before: snapshot(a, { shared: true }), after: { shared: true } });
    u.push({ kind: 'delete', annotation: a });
    const exists = new Set<string>();
    let e = u.pop((id) => exists.has(id))!;
    expect(inverse(e)).toEqual({ kind: 'create', annotation: a });
    exists.add('a');
    e = u.pop((id) => exists.has(id))!;
    expect(inverse(e)).toEqual({ kind: 'edit', id: 'a', patch: { shared: false } });
    e = u.pop((id) => exists.has(id))!;
    expect(inverse(e)).toEqual({ kind: 'delete', id: 'a' });
    expect(u.pop()).toBeNull();
  });
  it('skips changes to what is gone, forgets on request, and is bounded', () => {
    const u = new UndoStack(3);
    u.push({ kind: 'create', annotation: ink('x') });
    u.push({ kind: 'create', annotation: ink('y') });
    expect(u.pop((id) => id === 'x')!).toMatchObject({ annotation: { id: 'x' } });
    u.push({ kind: 'create', annotation: ink('z') });
    u.forget('z');
    expect(u.size).toBe(0);
    for (const id of ['1', '2', '3', '4']) u.push({ kind: 'create', annotation: ink(id) });
    expect(u.size).toBe(3);
  });
  it('records only the fields an edit changes', () => {
    const a = ink('a', { shared: true });
    expect(snapshot(a, { shared: false })).toEqual({ shared: true });
    expect(snapshot(a, { data: { strokes: [] } })).toEqual({ data: a.data });
  });
});
