// The watermark template (dấu chìm) as the server fills it (server/src/documents/stamp.rs):
// `{display_name}`, `{username}`, `{meeting}` and `{date}` (dd/mm/yyyy, UTC); anything else as
// written. The console offers the placeholders as buttons and previews the result.

export const PLACEHOLDERS = ['display_name', 'username', 'date', 'meeting'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface WatermarkValues {
  display_name: string;
  username: string;
  meeting: string;
  now: Date;
}

/** The server's `{date}`: day/month/year in UTC. */
function utcDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

export function renderWatermark(template: string, v: WatermarkValues): string {
  return template
    .replaceAll('{display_name}', v.display_name)
    .replaceAll('{username}', v.username)
    .replaceAll('{meeting}', v.meeting)
    .replaceAll('{date}', utcDate(v.now))
    .normalize('NFC');
}

/** Adds a placeholder at the end of the template, after a " · " separator when text precedes it. */
export function addPlaceholder(template: string, p: Placeholder | string): string {
  const token = PLACEHOLDERS.includes(p as Placeholder) ? `{${p}}` : p;
  const base = template.replace(/\s+$/, '');
  if (!base) return token;
  return /[·\-–—,:]$/.test(base) ? `${base} ${token}` : `${base} · ${token}`;
}
