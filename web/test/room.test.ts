// The meeting room's client rules from issue 22 that need no browser: retrying safe actions.
import { describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS, withRetry } from '../src/meeting/useMeeting';
import { ApiError } from '../src/session';

describe('retrying safe actions', () => {
  const final = (e: unknown) => e instanceof ApiError;
  it('resends an action that did not reach the server, after 1, 2 and 4 s, then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const send = async () => {
      calls++;
      throw new TypeError('Failed to fetch');
    };
    await expect(withRetry(send, true, final, async (ms) => void waits.push(ms))).rejects.toThrow('Failed to fetch');
    expect(calls).toBe(4);
    expect(waits).toEqual(RETRY_DELAYS_MS);
  });

  it('returns once a resend gets through', async () => {
    let calls = 0;
    const r = await withRetry(async () => (++calls < 3 ? Promise.reject(new TypeError('offline')) : 'ok'), true, final, async () => undefined);
    expect(r).toBe('ok');
    expect(calls).toBe(3);
  });

  it('never resends a refusal, nor an action that is not safe to repeat', async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new ApiError(409, 'meeting_closed', ''))), true, final, async () => undefined)).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new TypeError('offline'))), false, final, async () => undefined)).rejects.toThrow('offline');
    expect(calls).toBe(1);
  });
});

describe('limits shown before sending', () => {
  it('counts code points of the trimmed text, as the server does', async () => {
    const { LIMITS, overLimit, textLength } = await import('../src/limits');
    expect(textLength('  Phiên họp  ')).toBe(9);
    // Decomposed Vietnamese counts each combining mark, as Rust's chars() does.
    expect(textLength('e\u0302\u0301')).toBe(3);
    expect(textLength('😀')).toBe(1);
    expect(overLimit('a'.repeat(300), LIMITS.title)).toBe(false);
    expect(overLimit('a'.repeat(301), LIMITS.title)).toBe(true);
    expect(overLimit(` ${'a'.repeat(300)} `, LIMITS.title)).toBe(false);
  });

  it('the poll form refuses a question over the title limit instead of cutting it', async () => {
    const { emptyForm, validate } = await import('../src/polls/form');
    const f = { ...emptyForm(), title: 'Thông qua '.repeat(121) };
    expect(validate(f).map((e) => e.key)).toContain('pollForm.err.titleLong');
    expect(validate({ ...f, title: 'Thông qua' }).map((e) => e.key)).not.toContain('pollForm.err.titleLong');
  });
});

describe('after the meeting', () => {
  it('takes when the meeting was held from its meeting.state events', async () => {
    const { heldFrom, loadHeld } = await import('../src/meeting/held');
    const ev = (seq: number, type: string, data: object, at: string) => ({ seq, type, data, at });
    const events = [
      ev(1, 'meeting.state', { state: 'scheduled', previous: 'draft' }, '2026-12-01T02:00:00Z'),
      ev(2, 'participant.checked_in', {}, '2026-12-08T01:05:00Z'),
      ev(3, 'meeting.state', { state: 'live', previous: 'scheduled' }, '2026-12-08T01:10:00Z'),
      ev(4, 'meeting.state', { state: 'closed', previous: 'live' }, '2026-12-08T03:30:00Z'),
    ];
    expect(heldFrom(events)).toEqual({ started: '2026-12-08T01:10:00Z', ended: '2026-12-08T03:30:00Z' });
    expect(heldFrom(events.slice(0, 2))).toEqual({ started: null, ended: null });
    // Read page by page until both are known.
    const asked: number[] = [];
    const held = await loadHeld(async (after) => {
      asked.push(after);
      const page = events.filter((e) => e.seq > after).slice(0, 2);
      return { events: page, last_seq: 4 };
    });
    expect(held.ended).toBe('2026-12-08T03:30:00Z');
    expect(asked).toEqual([0, 2]);
  });

  it('writes record dates as "ngày 08/12/2026"', async () => {
    const { fmtRecordDate } = await import('../src/i18n');
    expect(fmtRecordDate('2026-12-08T01:10:00Z', 'vi', 'Asia/Ho_Chi_Minh')).toBe('ngày 08/12/2026');
    expect(fmtRecordDate('2026-12-08T01:10:00Z', 'en', 'Asia/Ho_Chi_Minh')).toBe('8 December 2026');
  });

  it('shows a receipt short and grouped, and whole for checking', async () => {
    const { receiptGrouped, receiptShort } = await import('../src/polls/logic');
    expect(receiptShort('3f2a91c07b44e8150d3c22ab9f1077e4')).toBe('3F2A-91C0-7B44');
    expect(receiptGrouped('3f2a91c07b44e8150d3c22ab9f1077e4')).toBe('3F2A 91C0 7B44 E815 0D3C 22AB 9F10 77E4');
    expect(receiptShort('—')).toBe('—');
  });
});

describe('the item under discussion', () => {
  it('is not shown once the meeting is closed', async () => {
    const { discussedItem } = await import('../src/meeting/state');
    const m = { state: 'live', current_item_id: 'a1' } as any;
    expect(discussedItem(m)).toBe('a1');
    expect(discussedItem({ ...m, state: 'closed' })).toBeNull();
    expect(discussedItem({ ...m, state: 'scheduled' })).toBe('a1');
    expect(discussedItem({ ...m, state: 'draft' })).toBeNull();
  });
});

describe('the watermark picker', () => {
  it('fills the template as the server does, and adds placeholders with a separator', async () => {
    const { addPlaceholder, renderWatermark } = await import('../src/meeting/watermark');
    const v = { display_name: 'Phạm Quốc Bảo', username: 'uyvien1', meeting: 'Phiên họp', now: new Date('2026-12-07T23:30:00Z') };
    expect(renderWatermark('{display_name} · {date} · MẬT', v)).toBe('Phạm Quốc Bảo · 07/12/2026 · MẬT');
    expect(renderWatermark('{username} {meeting} {other}', v)).toBe('uyvien1 Phiên họp {other}');
    expect(addPlaceholder('', 'display_name')).toBe('{display_name}');
    expect(addPlaceholder('{display_name}', 'date')).toBe('{display_name} · {date}');
    expect(addPlaceholder('{display_name} · ', 'date')).toBe('{display_name} · {date}');
    expect(addPlaceholder('{date}', 'MẬT')).toBe('{date} · MẬT');
  });
});

describe('absence with and without a reason', () => {
  it('says "vắng có lý do" only when a reason is recorded', async () => {
    const { attendanceKey } = await import('../src/meeting/state');
    const { participant } = await import('./fixtures');
    const { t } = await import('../src/i18n');
    expect(attendanceKey(participant('m1', 'member', { attendance: 'absent', absence_reason: 'Đi công tác' }))).toBe('att.status.absentExcused');
    expect(attendanceKey(participant('m1', 'member', { attendance: 'absent', absence_reason: null }))).toBe('att.status.absentUnexcused');
    expect(attendanceKey(participant('m1', 'member', { attendance: 'absent', absence_reason: '  ' }))).toBe('att.status.absentUnexcused');
    expect(attendanceKey(participant('m1', 'member', { attendance: 'present' }))).toBe('att.status.present');
    expect(t('att.status.absentExcused', undefined, 'vi')).toBe('Vắng có lý do');
    expect(t('att.status.absentUnexcused', undefined, 'vi')).toBe('Vắng không có lý do');
  });
});

describe('when a meeting was held, from the meeting itself (contract v2)', () => {
  it('takes started_at/ended_at when the server gives them, and reads the events otherwise', async () => {
    const { heldFromMeeting } = await import('../src/meeting/held');
    expect(heldFromMeeting({ started_at: '2026-12-08T01:10:00Z', ended_at: '2026-12-08T03:30:00Z' })).toEqual({ started: '2026-12-08T01:10:00Z', ended: '2026-12-08T03:30:00Z' });
    expect(heldFromMeeting({ started_at: null, ended_at: null })).toEqual({ started: null, ended: null });
    expect(heldFromMeeting({})).toBeNull();
  });
});

describe('meeting.state events', () => {
  it('record when the meeting went live and closed', async () => {
    const { applyEvent, fromDetail } = await import('../src/meeting/state');
    const { detail } = await import('./fixtures');
    let s = fromDetail(detail());
    s = applyEvent(s, { seq: 50, type: 'meeting.state', at: '2026-12-08T01:10:00Z', data: { state: 'live', previous: 'scheduled' } });
    s = applyEvent(s, { seq: 51, type: 'meeting.state', at: '2026-12-08T03:30:00Z', data: { state: 'closed', previous: 'live' } });
    expect(s.meeting).toMatchObject({ state: 'closed', started_at: '2026-12-08T01:10:00Z', ended_at: '2026-12-08T03:30:00Z' });
  });

  it('show a cancelled meeting as cancelled, never as held', async () => {
    const { applyEvent, fromDetail, groupOf } = await import('../src/meeting/state');
    const { detail } = await import('./fixtures');
    const { t } = await import('../src/i18n');
    let s = fromDetail(detail());
    s = applyEvent(s, { seq: 50, type: 'meeting.state', at: '2026-12-08T01:10:00Z', data: { state: 'cancelled', previous: 'scheduled' } });
    expect(s.meeting.state).toBe('cancelled');
    expect(s.meeting.started_at ?? null).toBeNull();
    expect(s.meeting.ended_at ?? null).toBeNull();
    expect(groupOf(s.meeting)).toBe('past');
    expect(t('state.cancelled', {}, 'vi')).toBe('Đã hủy');
    expect(t('state.action.cancel', {}, 'vi')).toBe('Hủy cuộc họp');
  });
});
