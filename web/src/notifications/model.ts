// A user's notifications (docs/notifications.md) as the tablet shows them: the server sends a
// `kind` and `params`, never a sentence, so the wording in the reader's language is made here;
// and the pure bookkeeping of the list (pages merged newest first, read marks, the unread
// count). No DOM, no fetch: store.ts drives these against the server.
import { fmtDateTime, getLocale, t, type Locale } from '../i18n';

export type NotificationKind = 'written_sent' | 'meeting_scheduled' | 'meeting_moved' | 'meeting_cancelled' | 'written_reminder';

/** The values a notification about a meeting carries (null where the meeting has none). */
export interface NotificationParams {
  title?: string | null;
  meeting_kind?: 'session' | 'written' | null;
  starts_at?: string | null;
  location?: string | null;
  deadline?: string | null;
  previous_starts_at?: string | null;
  previous_location?: string | null;
  previous_deadline?: string | null;
  unanswered?: number | null;
  [other: string]: unknown;
}

/** One notification, as `GET /api/v1/me/notifications` lists it. */
export interface AppNotification {
  id: string;
  /** A kind this client does not know yet is worded generically. */
  kind: NotificationKind | string;
  meeting_id: string | null;
  params: NotificationParams;
  created_at: string;
  read_at: string | null;
}

export interface NotificationPage {
  notifications: AppNotification[];
  unread: number;
  next_before: string | null;
}

/** `notification.new` on a meeting's live channel (docs/live.md). */
export interface NotificationNew {
  notification: AppNotification;
  unread: number;
}

/** How a notification reads: its sentence, and what it replaced when something moved. */
export interface Wording {
  text: string;
  /** "Trước đây: …" for a moved meeting; null otherwise. */
  previous: string | null;
}

/** A time of the meeting in the reader's format (as the meeting list shows it), or "not set". */
function when(iso: string | null | undefined, locale: Locale): string {
  return iso ? fmtDateTime(iso, locale) : t('notif.noTime', undefined, locale);
}

/** " tại Phòng họp số 1" after the time, or nothing when the meeting has no place. */
function at(location: string | null | undefined, locale: Locale): string {
  const l = location?.trim();
  return l ? t('notif.at', { location: l }, locale) : '';
}

/** The sentence for `n` in `locale` (Vietnamese by default), with the meeting's times formatted. */
export function wording(n: Pick<AppNotification, 'kind' | 'params'>, locale?: Locale): Wording {
  const lc = locale ?? getLocale();
  const p = n.params ?? {};
  const title = (p.title ?? '').trim() || t('notif.untitled', undefined, lc);
  const written = p.meeting_kind === 'written';
  switch (n.kind) {
    case 'written_sent':
      return { text: t('notif.written_sent', { title, deadline: when(p.deadline, lc) }, lc), previous: null };
    case 'meeting_scheduled':
      return { text: t('notif.meeting_scheduled', { title, starts_at: when(p.starts_at, lc), location: at(p.location, lc) }, lc), previous: null };
    case 'meeting_moved': {
      // A consultation is moved by its deadline; anything else (a session, or a consultation
      // whose start or place changed) by its time and place.
      if (written && (p.previous_deadline ?? null) !== (p.deadline ?? null)) {
        return {
          text: t('notif.meeting_moved_written', { title, deadline: when(p.deadline, lc) }, lc),
          previous: p.previous_deadline ? t('notif.previousDeadline', { deadline: when(p.previous_deadline, lc) }, lc) : null,
        };
      }
      const changed = (p.previous_starts_at ?? null) !== (p.starts_at ?? null) || (p.previous_location ?? null) !== (p.location ?? null);
      return {
        text: t('notif.meeting_moved', { title, starts_at: when(p.starts_at, lc), location: at(p.location, lc) }, lc),
        previous:
          changed && p.previous_starts_at
            ? t('notif.previous', { starts_at: when(p.previous_starts_at, lc), location: at(p.previous_location, lc) }, lc)
            : null,
      };
    }
    case 'meeting_cancelled':
      return { text: t('notif.meeting_cancelled', { title, starts_at: when(p.starts_at, lc) }, lc), previous: null };
    case 'written_reminder':
      return {
        text: t('notif.written_reminder', { title, unanswered: typeof p.unanswered === 'number' ? p.unanswered : 1, deadline: when(p.deadline, lc) }, lc),
        previous: null,
      };
    default:
      return { text: t('notif.other', { title }, lc), previous: null };
  }
}

/** Where tapping it leads: the meeting (a consultation held in writing opens on the same route). */
export function hrefOf(n: Pick<AppNotification, 'meeting_id'>): string | null {
  return n.meeting_id ? `/meetings/${encodeURIComponent(n.meeting_id)}` : null;
}

/**
 * The list after reading its first page again: that page, then the older notifications already
 * loaded beyond it (ids are UUID v7, ordered as created, so "older" is "smaller id"), paging
 * going on from where it had got to. Only when the page reaches into what was loaded (its oldest
 * is listed already): otherwise more came meanwhile than a page holds (unseen, no live channel)
 * and keeping the old ones would hide a gap, so the list starts again from this page. When the
 * first page is all there is (`next_before` null) nothing older is kept.
 */
export function mergeFirstPage(
  current: AppNotification[],
  currentNext: string | null,
  page: NotificationPage,
): { items: AppNotification[]; nextBefore: string | null } {
  const fresh = sortNewestFirst(page.notifications);
  const oldest = fresh.at(-1);
  if (page.next_before === null || !oldest || !current.some((n) => n.id === oldest.id)) return { items: fresh, nextBefore: page.next_before };
  const ids = new Set(fresh.map((n) => n.id));
  const older = current.filter((n) => !ids.has(n.id) && n.id < oldest.id);
  return { items: [...fresh, ...older], nextBefore: older.length ? currentNext : page.next_before };
}

/** The list with an older page appended (a notification already there is not listed twice). */
export function appendPage(current: AppNotification[], page: NotificationPage): { items: AppNotification[]; nextBefore: string | null } {
  const ids = new Set(current.map((n) => n.id));
  return { items: sortNewestFirst([...current, ...page.notifications.filter((n) => !ids.has(n.id))]), nextBefore: page.next_before };
}

/** A pushed notification put at the top (once, whatever how many times it arrives). */
export function prepend(current: AppNotification[], n: AppNotification): AppNotification[] {
  if (current.some((x) => x.id === n.id)) return current;
  return sortNewestFirst([n, ...current]);
}

/** The list with `id` marked read at `at`; `changed` says whether it was unread (and listed). */
export function markOne(current: AppNotification[], id: string, at: string): { items: AppNotification[]; changed: boolean } {
  let changed = false;
  const items = current.map((n) => {
    if (n.id !== id || n.read_at) return n;
    changed = true;
    return { ...n, read_at: at };
  });
  return { items: changed ? items : current, changed };
}

/** Every listed notification marked read at `at`. */
export function markAll(current: AppNotification[], at: string): AppNotification[] {
  return current.map((n) => (n.read_at ? n : { ...n, read_at: at }));
}

function sortNewestFirst(items: AppNotification[]): AppNotification[] {
  return items.slice().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** The badge's text: nothing at 0, the count up to 99, then "99+". */
export function badgeText(unread: number | null): string | null {
  if (!unread || unread <= 0) return null;
  return unread > 99 ? '99+' : String(unread);
}
