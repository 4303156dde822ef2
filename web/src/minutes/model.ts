// The meeting's record as the tablet sees it (contract.md "Minutes and conclusions"): the
// minutes object the server returns, the text fields a tablet edits in it, who may see and
// edit them, and which of the meeting's documents are the finalised record. No network here.
import type { Doc, Meeting, User } from '../types';
import type { Key } from '../i18n';
import { myParticipant, type MeetingView } from '../meeting/state';
import { isWritten } from '../written/logic';

export interface MinutesItem {
  agenda_item_id: string;
  notes: string | null;
  conclusion: string | null;
}

export interface Minutes {
  state: 'draft' | 'final';
  version: number;
  /** Số và ký hiệu once final ("05/BB-UBND"). */
  number: string | null;
  /** While draft: the number finalising would take now (null when final). */
  next_number?: string | null;
  items: MinutesItem[];
  opening: string | null;
  closing: string | null;
  minutes_document_id: string | null;
  conclusions_document_id: string | null;
}

/** What `minutes.updated` carries: which fields changed, never their text (drafts are not for members). */
export interface MinutesSignal {
  version: number;
  state: 'draft' | 'final';
  updated_by: string | null;
  number: string | null;
}

/** The server's limit on each text (notes, conclusion, opening, closing): 422 `text_too_long` past it. */
export const MINUTES_TEXT_MAX = 20_000;

/** Code points, as the server counts them. */
export function minutesTextLength(s: string): number {
  return [...s].length;
}

/** One editable text of the minutes. */
export type Field = 'opening' | 'closing' | `notes:${string}` | `conclusion:${string}`;

export const notesField = (itemId: string): Field => `notes:${itemId}`;
export const conclusionField = (itemId: string): Field => `conclusion:${itemId}`;

export function fieldValue(m: Minutes | null, f: Field): string {
  if (!m) return '';
  if (f === 'opening') return m.opening ?? '';
  if (f === 'closing') return m.closing ?? '';
  const [kind, id] = splitField(f);
  const item = m.items.find((i) => i.agenda_item_id === id);
  return (kind === 'notes' ? item?.notes : item?.conclusion) ?? '';
}

/** Whether the minutes have this field (an item's field goes with the item). */
export function hasField(m: Minutes, f: Field): boolean {
  if (f === 'opening' || f === 'closing') return true;
  const id = splitField(f)[1];
  return m.items.some((i) => i.agenda_item_id === id);
}

function splitField(f: Field): ['notes' | 'conclusion', string] {
  const i = f.indexOf(':');
  return [f.slice(0, i) as 'notes' | 'conclusion', f.slice(i + 1)];
}

export interface MinutesPatch {
  version: number;
  items?: { agenda_item_id: string; notes?: string; conclusion?: string }[];
  opening?: string;
  closing?: string;
}

/** The PATCH body that sets `fields` on top of `version`: only the fields that changed. */
export function patchBody(version: number, fields: readonly (readonly [Field, string])[]): MinutesPatch {
  const body: MinutesPatch = { version };
  const items = new Map<string, { agenda_item_id: string; notes?: string; conclusion?: string }>();
  for (const [f, text] of fields) {
    if (f === 'opening') body.opening = text;
    else if (f === 'closing') body.closing = text;
    else {
      const [kind, id] = splitField(f);
      const item = items.get(id) ?? { agenda_item_id: id };
      item[kind] = text;
      items.set(id, item);
    }
  }
  if (items.size) body.items = [...items.values()];
  return body;
}

/**
 * `edit`: the chair and the meeting's secretary write the minutes; `read`: managers (system
 * admin and secretary) follow the draft; `none`: everyone else sees the record only once it
 * is final, as documents of the meeting.
 */
export type MinutesAccess = 'edit' | 'read' | 'none';

export function minutesAccess(v: MeetingView, user: User): MinutesAccess {
  const p = v.participants.find((x) => x.user_id === user.id);
  if (p && (p.role === 'chair' || p.role === 'secretary')) return 'edit';
  if (user.role === 'admin' || user.role === 'secretary') return 'read';
  return 'none';
}

/** The user's seat in the meeting as the minutes panel lays itself out for it. */
export function minutesSeat(v: MeetingView, user: User): 'chair' | 'secretary' | 'other' {
  const p = myParticipant(v, user);
  if (p && p.user_id === user.id && (p.role === 'chair' || p.role === 'secretary')) return p.role;
  return 'other';
}

/** A finalised biên bản or thông báo kết luận (document `kind`), not an ordinary document. */
export function isRecordDoc(d: Doc): boolean {
  return d.kind === 'minutes' || d.kind === 'conclusions';
}

/** The record's documents, biên bản first. */
export function recordDocs(docs: readonly Doc[]): Doc[] {
  const rank = (d: Doc) => (d.kind === 'minutes' ? 0 : 1);
  return docs.filter(isRecordDoc).sort((a, b) => rank(a) - rank(b));
}

/**
 * Which record the meeting makes: a session's biên bản (with its thông báo kết luận), or the
 * báo cáo tổng hợp ý kiến of a meeting held in writing. Both are the same minutes object on
 * the server; only the words and the signature blocks differ.
 */
export type RecordKind = 'minutes' | 'summary';

export function recordKind(m: Pick<Meeting, 'kind'>): RecordKind {
  return isWritten(m) ? 'summary' : 'minutes';
}

/** The words of the record panel that name the record itself. */
export interface RecordWords {
  title: Key;
  unavailable: Key;
  notLoaded: Key;
  nextNumber: Key;
  preview: Key;
  previewTitle: Key;
  docxName: Key;
  finalize: Key;
  finalizeConfirm: Key;
  finalizeAfterClose: Key;
  finalized: Key;
  open: Key;
  leftover: Key;
}

const WORDS: Record<RecordKind, RecordWords> = {
  minutes: {
    title: 'minutes.title',
    unavailable: 'minutes.status.unavailable',
    notLoaded: 'minutes.notLoaded',
    nextNumber: 'minutes.nextNumber',
    preview: 'minutes.preview',
    previewTitle: 'minutes.previewTitle',
    docxName: 'minutes.docxName',
    finalize: 'minutes.finalize',
    finalizeConfirm: 'minutes.finalizeConfirm',
    finalizeAfterClose: 'minutes.finalizeAfterClose',
    finalized: 'minutes.finalized',
    open: 'minutes.openMinutes',
    leftover: 'minutes.leftover',
  },
  summary: {
    title: 'summary.title',
    unavailable: 'summary.unavailable',
    notLoaded: 'summary.notLoaded',
    nextNumber: 'minutes.nextNumber',
    preview: 'summary.preview',
    previewTitle: 'summary.previewTitle',
    docxName: 'summary.docxName',
    finalize: 'summary.finalize',
    finalizeConfirm: 'summary.finalizeConfirm',
    finalizeAfterClose: 'summary.finalizeAfterClose',
    finalized: 'summary.finalized',
    open: 'summary.open',
    leftover: 'summary.leftover',
  },
};

export function recordWords(kind: RecordKind): RecordWords {
  return WORDS[kind];
}
