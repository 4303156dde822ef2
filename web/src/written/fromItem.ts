// A meeting held in writing prepared from an agenda item of a session (docs/api.md, "Meetings
// held in writing", `from_agenda_item`): which sessions the secretary may pick from, the items
// of one with how many documents each brings along, what choosing an item writes into the form,
// and the body of `POST /meetings`. Pure functions; the screen is ui/Written.tsx `CreateWritten`.
import { flatten } from '../meeting/state';
import { LIMITS } from '../limits';
import type { AgendaItem, Doc, Meeting, MeetingDetail, Silence } from '../types';
import { isWritten } from './logic';

/**
 * The sessions offered: not held in writing, not called off; the most recent first (by when
 * they start), ties by title so the list does not jump.
 */
export function sessionChoices(meetings: readonly Meeting[]): Meeting[] {
  return meetings
    .filter((m) => !isWritten(m) && m.state !== 'cancelled')
    .sort((a, b) => Date.parse(b.starts_at) - Date.parse(a.starts_at) || a.title.localeCompare(b.title));
}

/** One agenda item as the picker lists it. */
export interface ItemChoice {
  item: AgendaItem;
  /** The outline number ("2.1"). */
  number: string;
  depth: number;
  /** The documents the server copies: those attached to this very item, the record's aside. */
  docs: number;
}

/**
 * Whether the server copies this document with its item: documents of the item itself (not of
 * its sub-items), never the finalised record (biên bản, thông báo kết luận).
 */
export function copiedWith(d: Doc, itemId: string): boolean {
  return d.agenda_item_id === itemId && d.kind !== 'minutes' && d.kind !== 'conclusions';
}

/** Every item of the session's agenda, depth first in agenda order, with its document count. */
export function itemChoices(session: Pick<MeetingDetail, 'agenda' | 'documents'>): ItemChoice[] {
  return flatten(session.agenda).map(({ item, depth, number }) => ({
    item,
    number,
    depth,
    docs: session.documents.filter((d) => copiedWith(d, item.id)).length,
  }));
}

/** The title a meeting prepared from an item is offered (the record's language: Vietnamese). */
export const TITLE_PREFIX = 'Xin ý kiến về ';

/** `TITLE_PREFIX` and the item's title, cut to the title limit when the item's is long. */
export function titleFor(item: Pick<AgendaItem, 'title'>): string {
  const full = [...(TITLE_PREFIX + item.title.trim())];
  if (full.length <= LIMITS.title) return full.join('');
  return `${full.slice(0, LIMITS.title - 1).join('').trimEnd()}…`;
}

/** The description offered: where the item comes from, then the item's own notes if any. */
export function descriptionFor(choice: Pick<ItemChoice, 'item' | 'number'>, session: Pick<Meeting, 'title'>): string {
  const from = `Theo nội dung ${choice.number} “${choice.item.title.trim()}” của ${session.title.trim()}.`;
  const notes = choice.item.notes?.trim();
  return notes ? `${from}\n\n${notes}` : from;
}

/** The form's title and description, and what the last prefill wrote into them. */
export interface Prefilled {
  title: string;
  description: string;
  /** The values the last choice wrote; a field still equal to it was not edited since. */
  auto: { title: string; description: string } | null;
}

/**
 * The form once an item is chosen (or null: the choice undone). The title becomes "Xin ý kiến
 * về …" unless the secretary wrote one of their own; the description is filled only when empty
 * (or still the one the previous choice wrote). Undoing the choice clears what it wrote and was
 * left untouched.
 */
export function prefill(form: Prefilled, choice: Pick<ItemChoice, 'item' | 'number'> | null, session: Pick<Meeting, 'title'> | null): Prefilled {
  const untouched = (v: string, auto: string | undefined) => v.trim() === '' || (auto !== undefined && v === auto);
  if (!choice || !session) {
    return {
      title: form.auto && form.title === form.auto.title ? '' : form.title,
      description: form.auto && form.description === form.auto.description ? '' : form.description,
      auto: null,
    };
  }
  const auto = { title: titleFor(choice.item), description: descriptionFor(choice, session) };
  return {
    title: untouched(form.title, form.auto?.title) ? auto.title : form.title,
    description: untouched(form.description, form.auto?.description) ? auto.description : form.description,
    auto,
  };
}

/** What the creation form holds. */
export interface WrittenForm {
  title: string;
  description: string;
  /** RFC 3339. */
  startsAt: string;
  deadline: string;
  silence: Silence;
  /** The agenda item the meeting is prepared from, if any. */
  fromItem: string | null;
}

/** The body of `POST /meetings` for a meeting held in writing. */
export function createBody(f: WrittenForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    title: f.title.trim(),
    description: f.description.trim() || undefined,
    starts_at: f.startsAt,
    kind: 'written',
    deadline: f.deadline,
    silence: f.silence,
  };
  if (f.fromItem) body.from_agenda_item = f.fromItem;
  return body;
}

/**
 * The questions the form itself adds after creation: the filled ones. Prepared from an item,
 * the server adds the first (titled as the item), so the form's are optional extras.
 */
export function questionsToAdd(questions: readonly string[]): string[] {
  return questions.map((q) => q.trim()).filter(Boolean);
}

/** Whether the form has a question: its own, or the one the server adds from the item. */
export function hasQuestion(questions: readonly string[], fromItem: string | null): boolean {
  return fromItem !== null || questionsToAdd(questions).length > 0;
}

/** The address of the creation form with an item chosen (a session's agenda links to it). */
export function createFromItemPath(base: string, meetingId: string, itemId: string): string {
  return `${base}/new?from_meeting=${encodeURIComponent(meetingId)}&from_item=${encodeURIComponent(itemId)}`;
}
