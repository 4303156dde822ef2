// "Thiết bị đã đăng nhập": the signed-in user's sessions (docs/api.md "Signed-in devices and
// passwords") as a small store the page renders: loading the list, renaming a device, ending
// one. The rules a name must meet are checked here before the server does, with the same
// limits, so that a wrong name is said next to its field without a round trip.
import { ApiError } from '../session';

export interface DeviceSession {
  id: string;
  name: string;
  user_agent: string | null;
  address: string | null;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

export interface DevicesApi {
  list(): Promise<{ sessions: DeviceSession[] }>;
  rename(id: string, name: string): Promise<void>;
  end(id: string): Promise<void>;
}

/** A row's own state: busy while its request runs, the error of its last one. */
export interface RowState {
  busy: boolean;
  error: unknown;
}

export interface DevicesState {
  sessions: DeviceSession[] | null;
  loading: boolean;
  error: unknown;
  rows: Record<string, RowState>;
}

/** The longest device name the server takes (characters, not bytes). */
export const MAX_DEVICE_NAME = 100;

/** A device name made ready to send, or why it cannot be (`invalid_name`, as the server says). */
export function cleanDeviceName(raw: string): { name: string } | { error: 'invalid_name' } {
  const name = raw.trim();
  if (!name || [...name].length > MAX_DEVICE_NAME || /[\r\n\u2028\u2029]/.test(name)) return { error: 'invalid_name' };
  return { name };
}

/** This device first, then the others from the most recently seen. */
export function sortDevices(list: DeviceSession[]): DeviceSession[] {
  return [...list].sort((a, b) => {
    if (a.current !== b.current) return a.current ? -1 : 1;
    return Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at);
  });
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];

/**
 * "3 phút trước" / "3 minutes ago" for `iso` seen from `now` (ms), in the locale's words; under a
 * minute (or a clock a little ahead of the server) is "now" in the same words.
 */
export function relativeTime(iso: string, now: number, tag: string): string {
  const secs = Math.round((now - Date.parse(iso)) / 1000);
  const fmt = new Intl.RelativeTimeFormat(tag, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (secs >= size) return fmt.format(-Math.floor(secs / size), unit);
  }
  return fmt.format(0, 'second');
}

export class DeviceList {
  private s: DevicesState = { sessions: null, loading: false, error: null, rows: {} };
  private listeners = new Set<(s: DevicesState) => void>();

  constructor(private readonly api: DevicesApi) {}

  get state(): DevicesState {
    return this.s;
  }

  subscribe(fn: (s: DevicesState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private go(next: Partial<DevicesState>) {
    this.s = { ...this.s, ...next };
    for (const l of this.listeners) l(this.s);
  }

  private row(id: string, r: RowState) {
    this.go({ rows: { ...this.s.rows, [id]: r } });
  }

  async load(): Promise<void> {
    this.go({ loading: true, error: null });
    try {
      const r = await this.api.list();
      this.go({ sessions: sortDevices(r.sessions), loading: false });
    } catch (e) {
      this.go({ loading: false, error: e });
    }
  }

  /** Renames a device; true when the server took the name (the list shows it at once). */
  async rename(id: string, raw: string): Promise<boolean> {
    const c = cleanDeviceName(raw);
    if ('error' in c) {
      this.row(id, { busy: false, error: new ApiError(422, c.error) });
      return false;
    }
    this.row(id, { busy: true, error: null });
    try {
      await this.api.rename(id, c.name);
      this.go({ sessions: this.s.sessions?.map((d) => (d.id === id ? { ...d, name: c.name } : d)) ?? null });
      this.row(id, { busy: false, error: null });
      return true;
    } catch (e) {
      this.row(id, { busy: false, error: e });
      return false;
    }
  }

  /**
   * Signs another device out ("Đăng xuất thiết bị này"). This device is signed out with the
   * header's button instead, so it is refused here. A 404 means it had ended already: it
   * leaves the list all the same.
   */
  async end(id: string): Promise<void> {
    const d = this.s.sessions?.find((x) => x.id === id);
    if (!d || d.current) return;
    this.row(id, { busy: true, error: null });
    try {
      await this.api.end(id);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) {
        this.row(id, { busy: false, error: e });
        return;
      }
    }
    const rows = { ...this.s.rows };
    delete rows[id];
    this.go({ sessions: this.s.sessions?.filter((x) => x.id !== id) ?? null, rows });
  }
}
