// Process-wide singletons: the session, the router, and hooks that subscribe components to them.
import { useEffect, useState } from 'preact/hooks';
import { Session, ApiError, serverClockOffset, toError } from './session';
import { DocStore, DOC_CACHE, type CacheLike } from './documents/offline';
import { getLocale, onLocale, t, hasKey, type Locale } from './i18n';
import type { MeetingRole, User } from './types';
import { forgetMinutesCopies } from './minutes/editor';
import { SignatureCache } from './signatures/cache';
import type { DocSignature } from './types';
import { LiveRequestError } from './live';
import { NotificationStore, type NotificationsState } from './notifications/store';

export const session = new Session();

/** Documents kept for offline reading (documents/offline.ts). */
export const docStore = new DocStore({
  fetch: (path, init) => session.fetchRaw(path, init),
  open: async () => (typeof caches === 'undefined' ? null : ((await caches.open(DOC_CACHE)) as unknown as CacheLike)),
  toError,
  destroy: async () => (typeof caches === 'undefined' ? undefined : caches.delete(DOC_CACHE)),
});

/** The signature lists of document versions, fetched when shown (signatures/cache.ts). */
export const signatureCache = new SignatureCache(
  (id, version) => session.request<DocSignature[]>('GET', `/documents/${encodeURIComponent(id)}/signatures?version=${version}`),
  (e) => e instanceof ApiError && e.status === 404,
);

/** The user's notifications: the header's unread badge and the list (notifications/store.ts). */
export const notifications = new NotificationStore((method, path, body) => session.request(method, path, body));

// The kept files carry their reader's name (watermark): they go when that reader signs out.
let signedInAs = session.user?.id ?? null;
session.subscribe((s) => {
  const now = s?.user.id ?? null;
  if (signedInAs && now !== signedInAs) {
    notifications.clear();
    void docStore.clear();
    signatureCache.clear();
    if (typeof localStorage !== 'undefined') forgetMinutesCopies(localStorage, signedInAs);
  }
  signedInAs = now;
});

const routeListeners = new Set<() => void>();
if (typeof window !== 'undefined') window.addEventListener('popstate', () => routeListeners.forEach((f) => f()));

export function navigate(path: string) {
  history.pushState(null, '', path);
  routeListeners.forEach((f) => f());
  window.scrollTo?.(0, 0);
}

export function useRoute(): { path: string; search: URLSearchParams } {
  const [, force] = useState(0);
  useEffect(() => {
    const f = () => force((n) => n + 1);
    routeListeners.add(f);
    return () => routeListeners.delete(f);
  }, []);
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

export function useNotifications(): NotificationsState {
  const [s, setS] = useState(notifications.state);
  useEffect(() => {
    setS(notifications.state);
    return notifications.subscribe(setS);
  }, []);
  return s;
}

export function useUser(): User | null {
  const [user, setUser] = useState(session.user);
  useEffect(() => session.subscribe((s) => setUser(s?.user ?? null)), []);
  return user;
}

/** Whether the server asked this user to set up a second factor first (session.ts). */
export function useEnrolmentRequired(): boolean {
  const [on, setOn] = useState(session.enrolmentRequired);
  useEffect(() => session.subscribe(() => setOn(session.enrolmentRequired)), []);
  return on;
}

export function useLocale(): Locale {
  const [l, setL] = useState(getLocale());
  useEffect(() => onLocale(setL), []);
  return l;
}

/** The server's current time (this clock corrected by the Date header), updated every `ms`. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now() + serverClockOffset());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now() + serverClockOffset()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** A translated message for an error from the API or the network. */
export function errorText(e: unknown): string {
  // The live channel's error frames carry codes of their own (docs/live.md, "Error codes").
  if (e instanceof ApiError || e instanceof LiveRequestError) {
    const key = `err.${e.code}`;
    if (hasKey(key)) return t(key);
    return t('err.generic', { code: e.code });
  }
  return t('err.network');
}

// The user's role in the meeting on screen (the header shows it instead of the system role).
let headerRole: MeetingRole | null = null;
const headerRoleListeners = new Set<(r: MeetingRole | null) => void>();

export function setHeaderRole(r: MeetingRole | null) {
  if (r === headerRole) return;
  headerRole = r;
  headerRoleListeners.forEach((f) => f(r));
}

export function useHeaderRole(): MeetingRole | null {
  const [r, setR] = useState(headerRole);
  useEffect(() => {
    headerRoleListeners.add(setR);
    setR(headerRole);
    return () => void headerRoleListeners.delete(setR);
  }, []);
  return r;
}
