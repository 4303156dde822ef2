// The poll form's rules (creating and editing a draft poll), apart from the view so they are
// unit-tested: the option a typed row stands for, validation mirroring the server's
// (docs/polls.md "A poll"), the body of `POST /meetings/{id}/polls` and the smallest
// `PATCH /polls/{id}` for an edit.
//
// An option is its text, as the room reads it ("Phương án A: xây mới"): 2–20 of them, 1–64
// code points each, no control characters, none repeating another but for case, the first (the
// motion) not `abstain`. The server stores them trimmed and in NFC; the form also collapses
// inner whitespace, so what is checked here is exactly what is sent. The default options are
// the keys `yes`/`no`/`abstain`, shown in the glossary's words, and typing those words (either
// language) gives the key back.
import { t, type Locale } from '../i18n';
import { vi } from '../i18n/vi';
import { en } from '../i18n/en';
import type { Majority, Poll } from '../types';
import { DEFAULT_OPTIONS, optionKey } from './logic';
import { LIMITS, overLimit } from '../limits';

export const MAX_OPTIONS = 20;
/** Unicode code points, as the server counts them. */
export const OPTION_MAX_LEN = 64;
export const QUORUM_MAX = 100_000;
export const ABSTAIN = 'abstain';

/** What the form edits. `quorum` is the field's text; `options` are null for the defaults. */
export interface PollFormValue {
  title: string;
  agendaItemId: string;
  secret: boolean;
  /** '' on a new poll: the organisation's rule (`polls.default_majority`), not sent. */
  majority: Majority | '';
  quorum: string;
  allowChange: boolean;
  /** Custom options, one row per option; null: the default yes / no / abstain. */
  options: OptionRow[] | null;
}

/** A custom option row: what is in the field, and the option it showed when the poll was loaded (edits). */
export interface OptionRow {
  text: string;
  stored?: string;
}

/** A problem with the form, as a translation key (and the option row when it is one). */
export interface FormError {
  key:
    | 'pollForm.err.title'
    | 'pollForm.err.titleLong'
    | 'pollForm.err.quorum'
    | 'pollForm.err.optionEmpty'
    | 'pollForm.err.optionLong'
    | 'pollForm.err.optionControl'
    | 'pollForm.err.optionTwice'
    | 'pollForm.err.optionCount'
    | 'pollForm.err.firstAbstain';
  row?: number;
}

/** Typed text as it is sent: whitespace runs as one space, trimmed, in Unicode NFC. */
export function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').trim().normalize('NFC');
}

/** The comparison the server makes for duplicates (options differing only by case are one). */
function fold(option: string): string {
  return option.toLowerCase();
}

/** The glossary's words of the default options in both languages, to map them back to keys. */
const KNOWN = new Map<string, string>();
for (const o of DEFAULT_OPTIONS) for (const d of [vi, en] as Record<string, string>[]) KNOWN.set(fold(tidy(d[`poll.choice.${o}`])), o);

/**
 * The option typed text stands for: a default option's own words (either language, any case)
 * give its key, anything else is the text itself, tidied. Empty when only whitespace was typed.
 */
export function optionFromText(text: string): string {
  const o = tidy(text);
  return KNOWN.get(fold(o)) ?? o;
}

/** How an option is shown: the glossary's words for the defaults, else the option as stored. */
export function optionLabel(option: string, locale?: Locale): string {
  const k = optionKey(option);
  return k ? t(k as any, undefined, locale) : option;
}

/**
 * The option of a row: the loaded option while its field still shows it as it was shown (in
 * either language), so an untouched row is sent back unchanged; else made from the text.
 */
export function rowOption(row: OptionRow): string {
  const s = row.stored;
  if (s !== undefined && (row.text === s || row.text === optionLabel(s, 'vi') || row.text === optionLabel(s, 'en'))) return s;
  return optionFromText(row.text);
}

export function isDefaultOptions(options: string[] | undefined | null): boolean {
  return !options || (options.length === DEFAULT_OPTIONS.length && options.every((o, i) => o === DEFAULT_OPTIONS[i]));
}

/** The form for a new poll. */
export function emptyForm(agendaItemId = ''): PollFormValue {
  return { title: '', agendaItemId, secret: false, majority: '', quorum: '', allowChange: false, options: null };
}

/** Rows to start customising from: the default options in the current language. */
export function defaultRows(locale?: Locale): OptionRow[] {
  return DEFAULT_OPTIONS.map((o) => ({ stored: o, text: optionLabel(o, locale) }));
}

/** The form for editing `p`; each option row shows the option as the voters will see it. */
export function formOf(p: Poll, locale?: Locale): PollFormValue {
  const options = isDefaultOptions(p.options) ? null : (p.options ?? []).map((o) => ({ stored: o, text: optionLabel(o, locale) }));
  return {
    title: p.title ?? '',
    agendaItemId: p.agenda_item_id ?? '',
    secret: !!p.secret,
    majority: p.majority ?? 'simple',
    quorum: p.quorum ? String(p.quorum) : '',
    allowChange: !!p.allow_change,
    options,
  };
}

/** The options the form stands for (the defaults when not customised). */
export function formOptions(f: PollFormValue): string[] {
  return f.options ? f.options.map(rowOption) : DEFAULT_OPTIONS.slice();
}

/** Every problem, in form order (empty: the server should accept it). */
export function validate(f: PollFormValue): FormError[] {
  const errors: FormError[] = [];
  if (!f.title.trim()) errors.push({ key: 'pollForm.err.title' });
  else if (overLimit(f.title, LIMITS.title)) errors.push({ key: 'pollForm.err.titleLong' });
  if (f.quorum.trim()) {
    const q = Number(f.quorum.trim());
    if (!Number.isInteger(q) || q < 1 || q > QUORUM_MAX) errors.push({ key: 'pollForm.err.quorum' });
  }
  if (f.options) {
    const seen = new Set<string>();
    f.options.forEach((row, i) => {
      const o = rowOption(row);
      if (!o) errors.push({ key: 'pollForm.err.optionEmpty', row: i });
      else if ([...o].length > OPTION_MAX_LEN) errors.push({ key: 'pollForm.err.optionLong', row: i });
      else if (/\p{Cc}/u.test(o)) errors.push({ key: 'pollForm.err.optionControl', row: i });
      else if (seen.has(fold(o))) errors.push({ key: 'pollForm.err.optionTwice', row: i });
      seen.add(fold(o));
    });
    if (f.options.length < 2 || f.options.length > MAX_OPTIONS) errors.push({ key: 'pollForm.err.optionCount' });
    if (f.options.length && rowOption(f.options[0]) === ABSTAIN) errors.push({ key: 'pollForm.err.firstAbstain', row: 0 });
  }
  return errors;
}

function quorumOf(f: PollFormValue): number | null {
  return f.quorum.trim() ? Number(f.quorum.trim()) : null;
}

/** The body of `POST /meetings/{id}/polls` (options only when customised). */
export function createBody(f: PollFormValue): Record<string, unknown> {
  const body: Record<string, unknown> = {
    title: f.title.trim(),
    secret: f.secret,
    // A secret poll never knows which choice was the member's, so it cannot let them change it.
    allow_change: !f.secret && f.allowChange,
  };
  // Left out, the poll takes the organisation's rule (contract v2, docs/polls.md).
  if (f.majority) body.majority = f.majority;
  if (f.agendaItemId) body.agenda_item_id = f.agendaItemId;
  const q = quorumOf(f);
  if (q !== null) body.quorum = q;
  if (f.options) body.options = formOptions(f);
  return body;
}

/**
 * The `PATCH /polls/{id}` body: only what changed (`null` clears the item or the quorum);
 * empty when nothing did.
 */
export function patchBody(p: Poll, f: PollFormValue): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const title = f.title.trim();
  if (title !== (p.title ?? '')) out.title = title;
  const item = f.agendaItemId || null;
  if (item !== (p.agenda_item_id ?? null)) out.agenda_item_id = item;
  if (f.secret !== !!p.secret) out.secret = f.secret;
  if (f.majority && f.majority !== (p.majority ?? 'simple')) out.majority = f.majority;
  const q = quorumOf(f);
  if (q !== (p.quorum ?? null)) out.quorum = q;
  const allow = !f.secret && f.allowChange;
  if (allow !== !!p.allow_change) out.allow_change = allow;
  const options = formOptions(f);
  const before = p.options?.length ? p.options : DEFAULT_OPTIONS;
  if (options.length !== before.length || options.some((o, i) => o !== before[i])) out.options = options;
  return out;
}

/**
 * The label of "no majority named" in the poll form: the organisation's rule, named when the
 * server told it ("Theo quy định chung của cơ quan: Quá nửa tổng số thành viên").
 */
export function defaultMajorityLabel(org: Majority | null): string {
  const base = t('poll.majority.default');
  return org ? `${base}: ${t(`poll.majority.${org}`)}` : base;
}
