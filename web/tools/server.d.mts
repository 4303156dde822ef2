/** See tools/server.mjs. */
export const webDir: string;
export const repoRoot: string;
export const CHROMIUM_ARGS: string[];
export const CHROMIUM: string;
export function serverBinary(): string;

export interface StartOptions {
  /** The binary to run (default: `serverBinary()`). */
  bin?: string;
  /** Extra environment, e.g. ECABINET_* settings. */
  env?: Record<string, string>;
  /** Prefix of the temporary data directory. */
  tmpPrefix?: string;
  /** Refuse to start without web/dist/index.html (default true). */
  requireDist?: boolean;
  /** Start with `--demo` (default true). */
  demo?: boolean;
  /** Accounts made with `ecabinet user add` before the server starts. */
  users?: { username: string; role: 'admin' | 'secretary' | 'member'; password: string; displayName?: string }[];
}

export interface RunningServer {
  base: string;
  bin: string;
  stop: () => Promise<void>;
}

export function startServer(opts?: StartOptions): Promise<RunningServer>;

export interface ApiSession {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  user: unknown;
}
export function apiSession(base: string, username: string, password?: string): Promise<ApiSession>;
export function demoMeetingId(base: string, session: ApiSession): Promise<string>;
