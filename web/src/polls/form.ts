// The poll form's rules (creating and editing a draft poll), apart from the view so they are
// unit-tested: option keys from what the secretary types, validation mirroring the server's
// (docs/polls.md "A poll"), the body of `POST /meetings/{id}/polls` and the smallest
// `PATCH /polls/{id}` for an edit.
//
// The server keeps options as keys (`a-z 0-9 _ -`, 1–64 characters, 2–20 of them, the first
// is the motion and cannot be `abstain`) and has no labels, so a custom option's key is made
// from its label (diacritics dropped: "Phương án A" → `phuong-an-a`) and shown back from the key
// ("Phuong an a"). The default keys are shown in the glossary's words.
import { t, type Locale } from '../i18n';
import { vi } from '../i18n/vi';
import { en } from '../i18n/en';
import type { Majority, Poll } from '../types';
import { DEFAULT_OPTIONS, optionKey } from './logic';

export const MAX_OPTIONS = 20;
export const OPTION_MAX_LEN = 64;
export const QUORUM_MAX = 100_000;
export const ABSTAIN = 'abstain';

/** What the form edits. `quorum` is the field's text; `options` are null for the defaults. */
export interface PollFormValue {
  title: string;
  agendaItemId: string;
  secret: boolean;
  majority: Majority;
  quorum: string;
  allowChange: boolean;
  /** Custom options, one row per option; null: the default yes / no / abstain. */
  options: OptionRow[] | null;
}

/** A custom option row: what is typed, and the key it had when the poll was loaded (edits). */
export interface OptionRow {
  label: string;
  key?: string;
}

/** A problem with the form, as a translation key (and the option row when it is one). */
export interface FormError {
  key: 'pollForm.err.title' | 'pollForm.err.quorum' | 'pollForm.err.optionEmpty' | 'pollForm.err.optionLong' | 'pollForm.err.optionTwice' | 'pollForm.err.optionCount' | 'pollForm.err.firstAbstain';
  row?: number;
}

/** The glossary's words of the default options in both languages, to map them back to keys. */
const KNOWN = new Map<string, string>();
for (const o of DEFAULT_OPTIONS)
  for (const d of [vi, en] as Record<string, string>[]) KNOWN.set(norm(d[`poll.choice.${o}`]), o);

function norm(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLocaleLowerCase('vi');
}

/**
 * The key of a typed option: a default option's own words (either language) give its key,
 * anything else is transliterated (Vietnamese diacritics dropped, đ → d), lower-cased, with
 * runs of other characters as one `-`. Empty when nothing usable is left.
 */
export function keyFromLabel(label: string): string {
  const known = KNOWN.get(norm(label));
  if (known) return known;
  const typedKey = label.trim();
  if (/^[a-z0-9_-]+$/.test(typedKey)) return typedKey;
  return label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** How a custom key reads back: separators as spaces, first letter capitalised. */
export function labelFromKey(key: string): string {
  const s = key.replace(/[-_]+/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : key;
}

/** How an option is shown: the glossary's words for the defaults, else read back from its key. */
export function optionLabel(key: string, locale?: Locale): string {
  const k = optionKey(key);
  return k ? t(k as any, undefined, locale) : labelFromKey(key);
}

/** The key of a row: the loaded key while its label is untouched, else made from the label. */
export function rowKey(row: OptionRow): string {
  if (row.key && (row.label === labelFromKey(row.key) || row.label === optionLabel(row.key))) return row.key;
  return keyFromLabel(row.label);
}

export function isDefaultOptions(options: string[] | undefined | null): boolean {
  return !options || (options.length === DEFAULT_OPTIONS.length && options.every((o, i) => o === DEFAULT_OPTIONS[i]));
}

/** The form for a new poll. */
export function emptyForm(agendaItemId = ''): PollFormValue {
  return { title: '', agendaItemId, secret: false, majority: 'simple', quorum: '', allowChange: false, options: null };
}

/** Rows to start customising from: the default options in the current language. */
export function defaultRows(locale?: Locale): OptionRow[] {
  return DEFAULT_OPTIONS.map((k) => ({ key: k, label: optionLabel(k, locale) }));
}

/** The form for editing `p`; each option row shows the option as the voters will see it. */
export function formOf(p: Poll, locale?: Locale): PollFormValue {
  const options = isDefaultOptions(p.options) ? null : (p.options ?? []).map((k) => ({ key: k, label: optionLabel(k, locale) }));
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

/** The option keys the form stands for (the defaults when not customised). */
export function optionKeys(f: PollFormValue): string[] {
  return f.options ? f.options.map(rowKey) : DEFAULT_OPTIONS.slice();
}

/** Every problem, in form order (empty: the server should accept it). */
export function validate(f: PollFormValue): FormError[] {
  const errors: FormError[] = [];
  if (!f.title.trim()) errors.push({ key: 'pollForm.err.title' });
  if (f.quorum.trim()) {
    const q = Number(f.quorum.trim());
    if (!Number.isInteger(q) || q < 1 || q > QUORUM_MAX) errors.push({ key: 'pollForm.err.quorum' });
  }
  if (f.options) {
    const seen = new Set<string>();
    f.options.forEach((row, i) => {
      const k = rowKey(row);
      if (!k) errors.push({ key: 'pollForm.err.optionEmpty', row: i });
      else if (k.length > OPTION_MAX_LEN) errors.push({ key: 'pollForm.err.optionLong', row: i });
      else if (seen.has(k)) errors.push({ key: 'pollForm.err.optionTwice', row: i });
      seen.add(k);
    });
    if (f.options.length < 2 || f.options.length > MAX_OPTIONS) errors.push({ key: 'pollForm.err.optionCount' });
    if (f.options.length && rowKey(f.options[0]) === ABSTAIN) errors.push({ key: 'pollForm.err.firstAbstain', row: 0 });
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
    majority: f.majority,
    // A secret poll never knows which choice was the member's, so it cannot let them change it.
    allow_change: !f.secret && f.allowChange,
  };
  if (f.agendaItemId) body.agenda_item_id = f.agendaItemId;
  const q = quorumOf(f);
  if (q !== null) body.quorum = q;
  if (f.options) body.options = optionKeys(f);
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
  if (f.majority !== (p.majority ?? 'simple')) out.majority = f.majority;
  const q = quorumOf(f);
  if (q !== (p.quorum ?? null)) out.quorum = q;
  const allow = !f.secret && f.allowChange;
  if (allow !== !!p.allow_change) out.allow_change = allow;
  const keys = optionKeys(f);
  const before = p.options?.length ? p.options : DEFAULT_OPTIONS;
  if (keys.length !== before.length || keys.some((k, i) => k !== before[i])) out.options = keys;
  return out;
}
