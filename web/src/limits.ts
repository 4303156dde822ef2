// The server's length limits on text fields (docs/api.md, server/src/meetings, agenda,
// attendance), so a form shows them before sending instead of being refused or cut. Lengths are
// counted as the server counts them: Unicode code points of the trimmed text.

export const LIMITS = {
  /** Meeting, agenda item and poll titles (meetings::TITLE_MAX). */
  title: 300,
  location: 300,
  description: 10_000,
  watermark: 200,
  notes: 10_000,
  /** A reason for absence (attendance::mark). */
  reason: 500,
} as const;

/** The length the server checks: code points of the trimmed text. */
export function textLength(s: string): number {
  return [...s.trim()].length;
}

export function overLimit(s: string, max: number): boolean {
  return textLength(s) > max;
}
