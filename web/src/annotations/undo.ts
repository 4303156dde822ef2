// Undo for the reader's own changes on one document in this session: each create, delete and
// edit is recorded with what it replaced, and undoing it is the inverse change (a delete of
// what was created, the same annotation created again, the edit's old content put back).
import type { Annotation } from './model';
import type { Patch } from './outbox';

export type Entry =
  | { kind: 'create'; annotation: Annotation }
  | { kind: 'delete'; annotation: Annotation }
  | { kind: 'edit'; id: string; before: Patch; after: Patch };

/** The change that undoes `e`. */
export type Inverse = { kind: 'delete'; id: string } | { kind: 'create'; annotation: Annotation } | { kind: 'edit'; id: string; patch: Patch };

export function inverse(e: Entry): Inverse {
  if (e.kind === 'create') return { kind: 'delete', id: e.annotation.id };
  if (e.kind === 'delete') return { kind: 'create', annotation: e.annotation };
  return { kind: 'edit', id: e.id, patch: e.before };
}

/** The fields of `a` a patch would change (for recording an edit's "before"). */
export function snapshot(a: Annotation, patch: Patch): Patch {
  const out: Patch = {};
  if ('shared' in patch) out.shared = a.shared;
  if ('data' in patch) out.data = a.data;
  if ('page' in patch) out.page = a.page;
  return out;
}

export class UndoStack {
  private entries: Entry[] = [];
  constructor(private readonly limit = 100) {}

  push(e: Entry) {
    this.entries.push(e);
    if (this.entries.length > this.limit) this.entries.shift();
  }

  /** The last change still undoable, removed from the stack; null when there is none. */
  pop(exists: (id: string) => boolean = () => true): Entry | null {
    while (this.entries.length) {
      const e = this.entries.pop()!;
      // A change to something deleted since (by another device) has nothing left to undo.
      const id = e.kind === 'edit' ? e.id : e.annotation.id;
      if (e.kind === 'delete' ? !exists(id) : exists(id)) return e;
    }
    return null;
  }

  /** Forget entries about `id` (deleted elsewhere, or refused by the server). */
  forget(id: string) {
    this.entries = this.entries.filter((e) => (e.kind === 'edit' ? e.id : e.annotation.id) !== id);
  }

  get size(): number {
    return this.entries.length;
  }
}
