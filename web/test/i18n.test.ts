import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../src/i18n/en';
import { vi as viDict } from '../src/i18n/vi';
import { fmtClock, fmtDateTime, fmtNumber, fmtPercent, fmtTime, getLocale, hasKey, setLocale, t } from '../src/i18n';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe('dictionaries', () => {
  it('have the same keys, none empty', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(viDict).sort());
    for (const [k, v] of [...Object.entries(viDict), ...Object.entries(en)]) expect(v.trim(), k).not.toBe('');
  });

  it('keep the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(viDict) as (keyof typeof viDict)[]) expect(ph(en[k]), k).toEqual(ph(viDict[k]));
  });

  it('cover every key the UI uses', () => {
    const used = new Set<string>();
    for (const f of sources(join(__dirname, '..', 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    for (const k of used) expect(hasKey(k), k).toBe(true);
  });

  it('cover the keys the UI builds from values (states, choices, results, reasons)', () => {
    const families: [string, string[]][] = [
      ['poll.state', ['draft', 'open', 'closed']],
      ['poll.majority', ['simple', 'absolute', 'absolute_all', 'two_thirds']],
      ['poll.result', ['adopted', 'rejected', 'no_quorum']],
      ['poll.choice', ['yes', 'no', 'abstain']],
      ['conn.mode', ['connecting', 'socket', 'polling', 'offline', 'forbidden', 'stopped']],
      ['minutes.status', ['loading', 'saved', 'saving', 'offline', 'conflict', 'refused', 'unavailable']],
      ['pw.err', ['required', 'short', 'long', 'same', 'mismatch']],
    ];
    for (const [prefix, values] of families) for (const v of values) expect(hasKey(`${prefix}.${v}`), `${prefix}.${v}`).toBe(true);
  });

  it('use the glossary terms', () => {
    expect(viDict['poll.choice.yes']).toBe('Tán thành');
    expect(viDict['poll.choice.no']).toBe('Không tán thành');
    expect(viDict['poll.choice.abstain']).toBe('Không biểu quyết');
    expect(viDict['poll.secret']).toBe('Bỏ phiếu kín');
    expect(viDict['poll.result.adopted']).toBe('Được thông qua');
    expect(viDict['poll.result.no_quorum']).toBe('Không đủ số thành viên theo quy định');
    expect(viDict['book.title']).toBe('Tập tài liệu họp');
    expect(viDict['follow.toggle']).toBe('Theo dõi trình chiếu');
    expect(viDict['doc.title']).toBe('Tài liệu họp');
    expect(viDict['agenda.title']).toBe('Chương trình họp');
    expect(viDict['att.checkIn']).toBe('Điểm danh');
    expect(viDict['speakers.request']).toBe('Đăng ký phát biểu');
    expect(viDict['speakers.timeUp']).toBe('Hết thời gian');
    expect(viDict['role.meeting.chair']).toBe('Chủ tọa');
    expect(viDict['role.meeting.observer']).toBe('Khách mời');
    expect(viDict['att.substitute']).toBe('Người dự họp thay');
    // The glossary's words for the connection, notes and removing someone (issue 22).
    expect(viDict['conn.mode.socket']).toBe('Đã kết nối');
    expect(viDict['conn.mode.offline']).toBe('Mất kết nối');
    expect(viDict['ann.tool.note']).toBe('Ghi chú');
    expect(viDict['pe.remove']).toBe('Xóa khỏi cuộc họp');
    for (const [k, v] of Object.entries(viDict)) expect(v, k).not.toMatch(/trực tuyến|Ghi chú dán|người dự thay|^Bỏ$/i);
    expect(viDict['state.live']).toBe('Đang họp');
    expect(viDict['state.closed']).toBe('Đã kết thúc');
  });
});

describe('t', () => {
  it('is Vietnamese by default and switches to English', () => {
    expect(getLocale()).toBe('vi');
    expect(t('auth.signIn')).toBe('Đăng nhập');
    setLocale('en');
    expect(t('auth.signIn')).toBe('Sign in');
    setLocale('vi');
  });

  it('fills placeholders, formatting numbers for the locale', () => {
    expect(t('agenda.minutes', { n: 1500 }, 'vi')).toBe('1.500 phút');
    expect(t('agenda.minutes', { n: 1500 }, 'en')).toBe('1,500 min');
    expect(t('att.ofTotal', { n: 3, total: 7 }, 'en')).toBe('3/7');
  });
});

describe('formatting', () => {
  it('formats dates and times per locale', () => {
    const iso = '2026-12-01T01:00:00Z';
    expect(fmtDateTime(iso, 'vi', 'Asia/Ho_Chi_Minh')).toBe('Thứ Ba, 1 tháng 12, 2026 · 08:00');
    expect(fmtDateTime(iso, 'en', 'Asia/Ho_Chi_Minh')).toBe('Tuesday, 1 December 2026 · 08:00');
    expect(fmtTime(iso, 'vi', 'Asia/Ho_Chi_Minh')).toBe('08:00');
  });
  it('formats numbers per locale', () => {
    expect(fmtNumber(1234567.5, 'vi')).toBe('1.234.567,5');
    expect(fmtNumber(1234567.5, 'en')).toBe('1,234,567.5');
    expect(fmtPercent(1.5, 'vi')).toMatch(/^150\s?%$/);
    expect(fmtPercent(0.5, 'en')).toBe('50%');
  });
  it('formats a countdown', () => {
    expect(fmtClock(125)).toBe('2:05');
    expect(fmtClock(0)).toBe('0:00');
    expect(fmtClock(-12)).toBe('-0:12');
  });
});

describe('error codes', () => {
  /** Every code in the status tables of docs/api.md (and polls.md): `| 409 | \`a\`, \`b\` | … |`. */
  function documentedCodes(): string[] {
    const codes = new Set<string>();
    for (const doc of ['api.md', 'polls.md']) {
      const text = readFileSync(join(__dirname, '..', '..', 'docs', doc), 'utf8');
      for (const line of text.split('\n')) {
        const m = line.match(/^\|\s*\d{3}\s*\|([^|]*)\|/);
        if (m) for (const c of m[1].matchAll(/`([a-z_]+)`/g)) codes.add(c[1]);
      }
    }
    return [...codes].sort();
  }

  it('reads the server’s codes from docs/api.md', () => {
    const codes = documentedCodes();
    // The table exists and is read: a few codes every server answers.
    expect(codes.length).toBeGreaterThan(80);
    for (const c of ['invalid_credentials', 'invalid_title', 'no_eligible_voters', 'internal_error']) expect(codes).toContain(c);
  });

  /** Every code in docs/live.md's "Error codes" table: the live channel's error frames. */
  function liveCodes(): string[] {
    const text = readFileSync(join(__dirname, '..', '..', 'docs', 'live.md'), 'utf8');
    const start = text.indexOf('\n## Error codes');
    expect(start, 'docs/live.md has an "Error codes" section').toBeGreaterThan(0);
    const end = text.indexOf('\n## ', start + 1);
    const codes = new Set<string>();
    for (const line of text.slice(start, end < 0 ? undefined : end).split('\n')) {
      const m = line.match(/^\|([^|]*)\|/);
      if (m) for (const c of m[1].matchAll(/`([a-z_]+)`/g)) codes.add(c[1]);
    }
    return [...codes].sort();
  }

  it('reads the live channel’s codes from docs/live.md', () => {
    const codes = liveCodes();
    for (const c of ['unknown_document', 'invalid_stroke', 'invalid_request', 'rate_limited', 'malformed', 'poll_not_open']) expect(codes).toContain(c);
  });

  it('has a sentence for every code in both languages (no raw "(invalid_title)")', () => {
    const missing: string[] = [];
    for (const c of [...documentedCodes(), ...liveCodes()]) {
      const key = `err.${c}`;
      if (!hasKey(key)) missing.push(`${c}: vi`);
      if (!Object.prototype.hasOwnProperty.call(en, key)) missing.push(`${c}: en`);
    }
    expect(missing).toEqual([]);
  });
});
