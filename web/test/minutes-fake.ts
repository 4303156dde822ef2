// A fake server for the minutes tests, with the contract's rules (contract.md "Minutes and
// conclusions"): versions, 409 stale_version / minutes_final / meeting_not_closed, 422 past
// 20,000 characters; and an in-memory localStorage.
import type { KeyValue } from '../src/minutes/editor';
import type { Minutes, MinutesPatch } from '../src/minutes/model';

export class HttpErr extends Error {
  constructor(
    public status: number,
    public code: string,
  ) {
    super(code);
  }
}

export class MemStorage implements KeyValue {
  rows = new Map<string, string>();
  getItem(k: string) {
    return this.rows.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.rows.set(k, v);
  }
  removeItem(k: string) {
    this.rows.delete(k);
  }
}

/** The server's minutes with the contract's rules: versions, 409s, 422 over 20,000 characters. */
export class FakeServer {
  m: Minutes = {
    state: 'draft',
    version: 1,
    number: null,
    next_number: '05/BB-UBND',
    items: [
      { agenda_item_id: 'a1', notes: '', conclusion: '' },
      { agenda_item_id: 'a2', notes: '', conclusion: '' },
    ],
    opening: '',
    closing: '',
    minutes_document_id: null,
    conclusions_document_id: null,
  };
  online = true;
  calls: string[] = [];
  patches: MinutesPatch[] = [];
  closed = true;

  /** `written`: a meeting held in writing, whose record is one summary ("01/BC-UBND") with no agenda items. */
  constructor(private readonly kind: 'session' | 'written' = 'session') {
    if (kind === 'written') this.m = { ...this.m, next_number: '01/BC-UBND', items: [] };
  }

  /** Another tablet saves (as the server would apply a PATCH that passed). */
  saveElsewhere(body: Omit<MinutesPatch, 'version'>) {
    this.apply({ version: this.m.version, ...body });
  }

  private apply(b: MinutesPatch) {
    const m = structuredClone(this.m);
    if (b.opening !== undefined) m.opening = b.opening;
    if (b.closing !== undefined) m.closing = b.closing;
    for (const it of b.items ?? []) {
      const row = m.items.find((x) => x.agenda_item_id === it.agenda_item_id)!;
      if (it.notes !== undefined) row.notes = it.notes;
      if (it.conclusion !== undefined) row.conclusion = it.conclusion;
    }
    m.version += 1;
    this.m = m;
  }

  request = async <T>(method: string, path: string, body?: any): Promise<T> => {
    this.calls.push(`${method} ${path}`);
    if (!this.online) throw new TypeError('Failed to fetch');
    if (method === 'GET') return structuredClone(this.m) as T;
    if (method === 'PATCH') {
      this.patches.push(structuredClone(body));
      if (this.m.state === 'final') throw new HttpErr(409, 'minutes_final');
      if (body.version !== this.m.version) throw new HttpErr(409, 'stale_version');
      const texts = [body.opening, body.closing, ...(body.items ?? []).flatMap((i: any) => [i.notes, i.conclusion])];
      if (texts.some((s) => typeof s === 'string' && [...s].length > 20_000)) throw new HttpErr(422, 'text_too_long');
      if ((body.items ?? []).some((i: any) => !this.m.items.some((x) => x.agenda_item_id === i.agenda_item_id))) throw new HttpErr(422, 'invalid_agenda_item');
      this.apply(body);
      return structuredClone(this.m) as T;
    }
    if (method === 'POST' && path.endsWith('/finalize')) {
      if (!this.closed) throw new HttpErr(409, 'meeting_not_closed');
      if (this.m.state === 'final') throw new HttpErr(409, 'minutes_final');
      if (this.kind === 'written') {
        this.m = { ...this.m, state: 'final', version: this.m.version + 1, number: '01/BC-UBND', next_number: null, minutes_document_id: 'd-bc', conclusions_document_id: null };
        return { number: '01/BC-UBND', minutes_document_id: 'd-bc', conclusions_number: null, conclusions_document_id: null } as T;
      }
      this.m = { ...this.m, state: 'final', version: this.m.version + 1, number: '05/BB-UBND', next_number: null, minutes_document_id: 'd-bb', conclusions_document_id: 'd-tb' };
      return { number: '05/BB-UBND', minutes_document_id: 'd-bb', conclusions_document_id: 'd-tb' } as T;
    }
    throw new HttpErr(404, 'not_found');
  };
}
