// The annotations one reader shows, as plain state: the server's list, the changes waiting in
// the outbox laid over it, and the live channel's events applied to it (docs/annotations.md,
// "Events"). Also others' ink in progress (`annotation.stroke` batches). Pure functions over
// immutable maps, so every rule is unit-tested.
import type { Annotation, Point } from './model';
import type { Op, Patch } from './outbox';

export type Items = ReadonlyMap<string, Annotation>;

export interface Context {
  /** The signed-in user. */
  me: string;
  /** The document shown. */
  docId: string;
  /** Ids with changes of ours not yet confirmed by the server: events do not overwrite them. */
  pending: ReadonlySet<string>;
  /** Ids this tablet deleted: a late event must not bring them back. */
  deleted: ReadonlySet<string>;
}

export interface Applied {
  items: Items;
  /** Read this annotation with `GET /annotations/{id}` (a reference event, too big to inline). */
  fetch?: string;
  /** The in-progress stroke with this id is finished (its annotation arrived). */
  finished?: string;
}

function isAnnotation(a: any): a is Annotation {
  return (
    !!a &&
    typeof a.id === 'string' &&
    typeof a.document_id === 'string' &&
    typeof a.user_id === 'string' &&
    Number.isInteger(a.page) &&
    (a.kind === 'ink' || a.kind === 'highlight' || a.kind === 'note') &&
    typeof a.version === 'number' &&
    !!a.data
  );
}

/** The list from `GET …/annotations`, in its order (page, then creation). */
export function fromList(list: unknown): Items {
  const out = new Map<string, Annotation>();
  if (Array.isArray(list)) for (const a of list) if (isAnnotation(a)) out.set(a.id, a);
  return out;
}

/** Takes `a` unless what is shown is newer (a reply keeps the version, so equal replaces). */
export function upsert(items: Items, a: Annotation): Items {
  const cur = items.get(a.id);
  if (cur && cur.version > a.version) return items;
  const next = new Map(items);
  next.set(a.id, a);
  return next;
}

export function remove(items: Items, id: string): Items {
  if (!items.has(id)) return items;
  const next = new Map(items);
  next.delete(id);
  return next;
}

/**
 * A live event (durable `annotation.created|updated|deleted`, or the author-only ephemeral
 * `annotation.private.*`) applied to what the reader shows.
 */
export function applyEvent(items: Items, type: string, data: any, ctx: Context): Applied {
  if (!data || data.document_id !== ctx.docId || typeof data.id !== 'string') return { items };
  const id: string = data.id;
  switch (type) {
    case 'annotation.created':
    case 'annotation.updated':
    case 'annotation.private.created':
    case 'annotation.private.updated': {
      const finished = type === 'annotation.created' ? id : undefined;
      if (ctx.pending.has(id) || ctx.deleted.has(id)) return { items, finished };
      // Private ones are the author's alone: never take one that is not ours.
      if (type.startsWith('annotation.private.') && data.user_id !== ctx.me) return { items };
      if (data.fetch === true) {
        const cur = items.get(id);
        return cur && typeof data.version === 'number' && cur.version >= data.version ? { items } : { items, fetch: id };
      }
      if (!isAnnotation(data)) return { items, finished };
      return { items: upsert(items, data), finished };
    }
    case 'annotation.deleted':
      // Made private again: its author keeps it (the private update follows, in any order).
      if (data.unshared === true && data.user_id === ctx.me) return { items };
      if (ctx.pending.has(id)) return { items };
      return { items: remove(items, id), finished: id };
    case 'annotation.private.deleted':
      if (data.user_id !== ctx.me || ctx.pending.has(id)) return { items };
      return { items: remove(items, id) };
    default:
      return { items };
  }
}

/**
 * The changes waiting in the outbox for this document, laid over the server's list, so what
 * was drawn offline shows (after a reload too) before it reaches the server.
 */
export function overlay(items: Items, ops: readonly Op[], docId: string, me: string): Items {
  let out = items;
  for (const op of ops) {
    if (op.doc !== docId || op.user !== me) continue;
    if (op.kind === 'create') {
      const cur = out.get(op.id);
      out = new Map(out).set(op.id, {
        id: op.id,
        document_id: docId,
        user_id: me,
        version: cur?.version ?? 0,
        page: op.body.page,
        kind: op.body.kind,
        shared: op.body.shared,
        data: op.body.data,
        replies: op.body.kind === 'note' ? [] : undefined,
      });
    } else if (op.kind === 'update') {
      const cur = out.get(op.id);
      if (cur) out = new Map(out).set(op.id, patched(cur, op.patch));
    } else out = remove(out, op.id);
  }
  return out;
}

/**
 * `a` with `patch` applied as the server will apply it: a new page clears `orphaned` (the
 * reader only offers existing pages; the server refuses others).
 */
export function patched(a: Annotation, patch: Patch): Annotation {
  const out = { ...a, ...patch };
  if (patch.page !== undefined && a.orphaned) out.orphaned = false;
  return out;
}

/**
 * The annotations whose page the document's current version no longer has (docs/annotations.md,
 * "Versions"): shown apart from the pages, by their old page, then kind, then creation.
 */
export function orphans(items: Items): Annotation[] {
  const rank = { highlight: 0, ink: 1, note: 2 } as const;
  return [...items.values()]
    .filter((a) => a.orphaned)
    .sort((a, b) => a.page - b.page || rank[a.kind] - rank[b.kind] || (a.created_at ?? '').localeCompare(b.created_at ?? '') || a.id.localeCompare(b.id));
}

/** The page an orphan is offered to move to: its old page when it exists again, else the last. */
export function moveTarget(page: number, pageCount: number): number {
  return Math.max(1, Math.min(page, pageCount));
}

/** The annotations of one page, in drawing order (highlights under ink, notes on top). */
export function onPage(items: Items, page: number): Annotation[] {
  const rank = { highlight: 0, ink: 1, note: 2 } as const;
  return [...items.values()].filter((a) => a.page === page && !a.orphaned).sort((a, b) => rank[a.kind] - rank[b.kind]);
}

// --- others' ink in progress --------------------------------------------------------------

export interface LiveStroke {
  id: string;
  user_id: string;
  page: number;
  color: string;
  width: number;
  points: Point[];
  /** When the last batch came (ms). */
  at: number;
}

export type LiveStrokes = ReadonlyMap<string, LiveStroke>;

/** Dropped when no batch came for this long and no annotation arrived (the author gave up). */
export const STROKE_TTL_MS = 8000;

/** An `annotation.stroke` batch: its points are appended to the stroke it continues. */
export function strokeBatch(strokes: LiveStrokes, data: any, docId: string, me: string, now: number): LiveStrokes {
  if (!data || data.document_id !== docId || typeof data.stroke_id !== 'string' || !Array.isArray(data.points)) return strokes;
  if (data.user_id === me) return strokes;
  const points = (data.points as unknown[]).filter(
    (p): p is Point => Array.isArray(p) && (p.length === 2 || p.length === 3) && p.every((v) => typeof v === 'number' && Number.isFinite(v)),
  );
  const cur = strokes.get(data.stroke_id);
  const next = new Map(strokes);
  next.set(data.stroke_id, {
    id: data.stroke_id,
    user_id: String(data.user_id ?? ''),
    page: Number(data.page),
    color: typeof data.color === 'string' ? data.color : '#000000',
    width: typeof data.width === 'number' ? data.width : 0.003,
    points: [...(cur?.points ?? []), ...points],
    at: now,
  });
  return next;
}

/** Removes finished strokes (`ids`) and those silent for `ttl`. */
export function expireStrokes(strokes: LiveStrokes, now: number, ids: readonly string[] = [], ttl = STROKE_TTL_MS): LiveStrokes {
  let changed = false;
  const next = new Map(strokes);
  for (const [id, s] of strokes) {
    if (ids.includes(id) || now - s.at > ttl) {
      next.delete(id);
      changed = true;
    }
  }
  return changed ? next : strokes;
}
