// Translations and locale-aware formatting. Vietnamese is the default; the choice is kept in
// localStorage. Every visible string goes through `t`; dates and numbers through Intl.
import { vi, type Key } from './vi';
import { en } from './en';

export type Locale = 'vi' | 'en';
export type { Key };
export const LOCALES: Locale[] = ['vi', 'en'];
const DICTS: Record<Locale, Record<Key, string>> = { vi, en };
const TAGS: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };
const STORE_KEY = 'ecabinet.locale';

function initial(): Locale {
  try {
    const v = globalThis.localStorage?.getItem(STORE_KEY);
    if (v === 'vi' || v === 'en') return v;
  } catch {
    /* no storage */
  }
  return 'vi';
}

let current: Locale = initial();
const listeners = new Set<(l: Locale) => void>();

export function getLocale(): Locale {
  return current;
}

export function setLocale(l: Locale) {
  current = l;
  try {
    globalThis.localStorage?.setItem(STORE_KEY, l);
  } catch {
    /* ignore */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l;
  for (const fn of listeners) fn(l);
}

export function onLocale(fn: (l: Locale) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function hasKey(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(vi, key);
}

/** The translation of `key`, with `{name}` placeholders filled (numbers formatted). */
export function t(key: Key, params?: Record<string, string | number>, locale: Locale = current): string {
  const s = DICTS[locale][key] ?? vi[key] ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) return `{${name}}`;
    return typeof v === 'number' ? fmtNumber(v, locale) : v;
  });
}

export function tag(locale: Locale = current): string {
  return TAGS[locale];
}

export function fmtNumber(n: number, locale: Locale = current): string {
  return new Intl.NumberFormat(TAGS[locale]).format(n);
}

/** A share such as 150 % (vi-VN) or 150% (en-GB); `ratio` 1.5 is 150 %. */
export function fmtPercent(ratio: number, locale: Locale = current): string {
  return new Intl.NumberFormat(TAGS[locale], { style: 'percent', maximumFractionDigits: 0 }).format(ratio);
}

/** Date and time, e.g. "Thứ Ba, 1 tháng 12, 2026 · 08:00" / "Tuesday, 1 December 2026 · 08:00". */
export function fmtDateTime(iso: string, locale: Locale = current, timeZone?: string): string {
  const d = new Date(iso);
  const date = new Intl.DateTimeFormat(TAGS[locale], {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone,
  }).format(d);
  return `${date} · ${fmtTime(iso, locale, timeZone)}`;
}

export function fmtTime(iso: string, locale: Locale = current, timeZone?: string): string {
  return new Intl.DateTimeFormat(TAGS[locale], { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));
}

/** A countdown such as 2:05, or -0:12 once past. */
export function fmtClock(secs: number): string {
  const sign = secs < 0 ? '-' : '';
  const a = Math.abs(secs);
  const m = Math.floor(a / 60);
  const s = a % 60;
  return `${sign}${m}:${String(s).padStart(2, '0')}`;
}

/**
 * A date as records write it: "ngày 08/12/2026" (the administrative form, glossary "dates on
 * records") or "8 December 2026".
 */
export function fmtRecordDate(iso: string, locale: Locale = current, timeZone?: string): string {
  const d = new Date(iso);
  if (locale === 'vi') {
    const parts = new Intl.DateTimeFormat('vi-VN', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }).formatToParts(d);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `ngày ${get('day')}/${get('month')}/${get('year')}`;
  }
  return new Intl.DateTimeFormat(TAGS[locale], { day: 'numeric', month: 'long', year: 'numeric', timeZone }).format(d);
}
