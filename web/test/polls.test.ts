import { describe, expect, it, vi } from 'vitest';
import { castBallot, eligibleNow, loadReceipts, newBallotKey, optionKey, optionsOf, optionTone, resultKey, saveReceipt, seatVoter, tallyRows, voterStatus } from '../src/polls/logic';
import { LiveRequestError } from '../src/live';
import { hasKey } from '../src/i18n';
import { participant, poll } from './fixtures';

describe('tally', () => {
  it('shows every option with its count and share, zero included', () => {
    const rows = tallyRows(poll('p1', { tally: { yes: 3, no: 1 }, voted: 4 }));
    expect(rows).toEqual([
      { option: 'yes', count: 3, percent: 75 },
      { option: 'no', count: 1, percent: 25 },
      { option: 'abstain', count: 0, percent: 0 },
    ]);
    expect(tallyRows(poll('p2', { tally: {} })).every((r) => r.percent === 0)).toBe(true);
  });

  it('is keyed by the options as the poll lists them, Vietnamese text included', () => {
    const options = ['Phương án A: xây mới', 'Phương án B: sửa chữa', 'abstain'];
    const p = poll('p3', { options, tally: { 'Phương án A: xây mới': 2, 'Phương án B: sửa chữa': 1, abstain: 1 }, voted: 4 });
    expect(tallyRows(p)).toEqual([
      { option: 'Phương án A: xây mới', count: 2, percent: 50 },
      { option: 'Phương án B: sửa chữa', count: 1, percent: 25 },
      { option: 'abstain', count: 1, percent: 25 },
    ]);
    // Without `options` (an older event), the tally's own keys are the options.
    expect(optionsOf(poll('p4', { options: undefined, tally: { 'Đồng ý': 0, 'Không đồng ý': 0 } }))).toEqual(['Đồng ý', 'Không đồng ý']);
  });

  it('gives class names only from the default keys, never from typed text', () => {
    expect(['yes', 'no', 'abstain', 'Phương án A: xây mới', 'x" onclick="y', 'Yes'].map(optionTone)).toEqual(['yes', 'no', 'abstain', 'other', 'other', 'other']);
  });

  it('names the options and results with the glossary’s words', () => {
    for (const o of ['yes', 'no', 'abstain']) expect(hasKey(optionKey(o)!)).toBe(true);
    expect(optionKey('Phương án A')).toBeNull();
    for (const r of ['adopted', 'rejected', 'no_quorum'] as const) expect(hasKey(resultKey(poll('p', { result: r }))!)).toBe(true);
    expect(resultKey(poll('p'))).toBeNull();
  });
});

describe('castBallot', () => {
  it('votes over the live channel with an idempotency key and returns the receipt', async () => {
    const live = vi.fn(async () => ({ type: 'ack', ref: 'r1', poll_id: 'p1', receipt: 'R-123' }));
    const http = vi.fn();
    await expect(castBallot('p1', 'yes', { live, http }, 'K-1')).resolves.toBe('R-123');
    expect(live).toHaveBeenCalledWith({ type: 'ballot', poll_id: 'p1', choice: 'yes', key: 'K-1' });
    expect(http).not.toHaveBeenCalled();
  });

  it('makes a fresh key for each ballot when none is given', async () => {
    const keys: string[] = [];
    const live = vi.fn(async (b: any) => (keys.push(b.key), { receipt: 'R' }));
    await castBallot('p1', 'yes', { live, http: vi.fn() });
    await castBallot('p1', 'yes', { live, http: vi.fn() });
    expect(keys[0]).toMatch(/\S{8,}/);
    expect(keys[0]).not.toBe(keys[1]);
    expect(newBallotKey()).not.toBe(newBallotKey());
  });

  it('goes again over HTTP with the same key when the ballot did not get through', async () => {
    for (const code of ['not_connected', 'timeout', 'not_supported', 'unknown_type', 'service_unavailable', 'internal_error']) {
      const http = vi.fn(async () => ({ poll_id: 'p1', receipt: 'H-1' }));
      await expect(castBallot('p1', 'no', { live: async () => Promise.reject(new LiveRequestError(code)), http }, 'K-2')).resolves.toBe('H-1');
      expect(http).toHaveBeenCalledWith('p1', 'no', 'K-2');
    }
  });

  it('does not retry a refusal, and gives it the HTTP status of the same refusal', async () => {
    const http = vi.fn();
    const cases: [string, number][] = [
      ['already_voted', 409],
      ['poll_not_open', 409],
      ['not_eligible', 403],
      ['forbidden', 403],
      ['unknown_option', 422],
      ['not_found', 404],
      ['invalid_request', 400],
    ];
    for (const [code, status] of cases)
      await expect(castBallot('p1', 'yes', { live: async () => Promise.reject(new LiveRequestError(code)), http })).rejects.toMatchObject({ status, code });
    expect(http).not.toHaveBeenCalled();
  });

  it('passes other failures through', async () => {
    const boom = new Error('boom');
    await expect(castBallot('p1', 'yes', { live: async () => Promise.reject(boom), http: vi.fn() })).rejects.toBe(boom);
  });

  it('keeps receipts per key in storage', () => {
    const m = new Map<string, string>();
    const storage = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    saveReceipt('u1/p1', 'R-1', storage);
    saveReceipt('u1/p2', 'R-2', storage);
    expect(loadReceipts(storage)).toEqual({ 'u1/p1': 'R-1', 'u1/p2': 'R-2' });
    m.set('ecabinet.receipts', 'not json');
    expect(loadReceipts(storage)).toEqual({});
  });
});

describe('eligibility', () => {
  const seats = [
    participant('chair', 'chair', { attendance: 'present' }),
    participant('m1', 'member', { attendance: 'present' }),
    participant('m2', 'member', { attendance: 'unknown' }),
    participant('m3', 'member', { attendance: 'substituted', substitute_id: 'sub' }),
    participant('m4', 'member', { attendance: 'absent' }),
    participant('obs', 'observer', { attendance: 'present' }),
  ];

  it('the seat is voted by the member when present, by the substitute when substituted', () => {
    expect(seats.map(seatVoter)).toEqual([null, 'm1', null, 'sub', null, null]);
  });

  it('counts those who would be eligible if the poll opened now', () => {
    expect(eligibleNow(seats)).toBe(2);
    expect(eligibleNow(seats.filter((p) => p.role !== 'member'))).toBe(0);
  });

  it('tells a voter from a member who is not checked in and from someone who never votes', () => {
    expect(voterStatus(seats, 'm1')).toBe('voter');
    expect(voterStatus(seats, 'sub')).toBe('voter');
    expect(voterStatus(seats, 'm3')).toBe('not_checked_in'); // their substitute attends
    expect(voterStatus(seats, 'm2')).toBe('not_checked_in');
    expect(voterStatus(seats, 'm4')).toBe('not_checked_in');
    expect(voterStatus(seats, 'chair')).toBe('none');
    expect(voterStatus(seats, 'obs')).toBe('none');
    expect(voterStatus(seats, 'stranger')).toBe('none');
  });
});

describe('poll messages', () => {
  it('every refusal of opening, closing and voting has a message in both languages', () => {
    for (const code of ['no_eligible_voters', 'meeting_not_live', 'poll_open', 'poll_closed', 'poll_not_draft', 'poll_not_open', 'not_eligible', 'already_voted', 'unknown_option', 'invalid_options', 'invalid_poll', 'invalid_quorum', 'service_unavailable'])
      expect(hasKey(`err.${code}`), code).toBe(true);
  });
});
