import { describe, expect, it, vi } from 'vitest';
import { castBallot, chairVotes, countsVisible, eligibleNow, noQuorumWhy, quorumCheck, votingSeats, loadReceipts, newBallotKey, optionKey, optionsOf, optionTone, resultKey, saveReceipt, seatVoter, tallyRows, voterStatus } from '../src/polls/logic';
import { LiveRequestError } from '../src/live';
import { hasKey, t } from '../src/i18n';
import { MAJORITIES, type Poll } from '../src/types';
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

  it('the seat is voted by its holder when present, by the substitute when substituted; the chair holds one (v2)', () => {
    expect(seats.map((p) => seatVoter(p))).toEqual(['chair', 'm1', null, 'sub', null, null]);
    // A meeting with `chair_votes: false`: the chair holds no seat.
    expect(seats.map((p) => seatVoter(p, false))).toEqual([null, 'm1', null, 'sub', null, null]);
  });

  it('counts those who would be eligible if the poll opened now, and all voting seats', () => {
    expect(eligibleNow(seats)).toBe(3);
    expect(eligibleNow(seats, false)).toBe(2);
    expect(eligibleNow(seats.filter((p) => p.role === 'observer'))).toBe(0);
    expect(votingSeats(seats)).toBe(5);
    expect(votingSeats(seats, false)).toBe(4);
  });

  it('reads chair_votes from the meeting: absent means the chair votes', () => {
    expect(chairVotes({})).toBe(true);
    expect(chairVotes({ chair_votes: true })).toBe(true);
    expect(chairVotes({ chair_votes: false })).toBe(false);
    expect(chairVotes(null)).toBe(true);
  });

  it('tells a voter from a member who is not checked in and from someone who never votes', () => {
    expect(voterStatus(seats, 'm1')).toBe('voter');
    expect(voterStatus(seats, 'sub')).toBe('voter');
    expect(voterStatus(seats, 'm3')).toBe('not_checked_in'); // their substitute attends
    expect(voterStatus(seats, 'm2')).toBe('not_checked_in');
    expect(voterStatus(seats, 'm4')).toBe('not_checked_in');
    expect(voterStatus(seats, 'chair')).toBe('voter');
    expect(voterStatus(seats, 'chair', false)).toBe('none');
    const absentChair = seats.map((p) => (p.role === 'chair' ? { ...p, attendance: 'absent' as const } : p));
    expect(voterStatus(absentChair, 'chair')).toBe('not_checked_in');
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

describe('quorum and majorities (contract v2)', () => {
  const seats = [
    participant('chair', 'chair', { attendance: 'present' }),
    participant('m1', 'member', { attendance: 'present' }),
    participant('m2', 'member', { attendance: 'unknown' }),
    participant('m3', 'member', { attendance: 'absent' }),
    participant('m4', 'member', { attendance: 'absent' }),
    participant('sec', 'secretary', { attendance: 'present' }),
  ];
  const draft = (extra: Partial<Poll> = {}): Poll => ({ id: 'p', state: 'draft', tally: {}, voted: 0, eligible: 0, result: null, ...extra });

  it('compares who is present with the quorum before opening', () => {
    expect(quorumCheck(draft({ quorum: 3 }), seats)).toEqual({ present: 2, members: 5, quorum: 3, below: true, cannotPass: false });
    expect(quorumCheck(draft({ quorum: 2 }), seats).below).toBe(false);
    expect(quorumCheck(draft(), seats)).toMatchObject({ quorum: null, below: false });
    // Without the chair's seat: 1 of 4.
    expect(quorumCheck(draft({ quorum: 2 }), seats, false)).toMatchObject({ present: 1, members: 4, below: true });
  });

  it('warns that a majority of all members cannot be reached with half or fewer present', () => {
    expect(quorumCheck(draft({ majority: 'absolute_all' }), seats).cannotPass).toBe(true); // 2 of 5
    const more = seats.map((p) => (p.user_id === 'm2' ? { ...p, attendance: 'present' as const } : p));
    expect(quorumCheck(draft({ majority: 'absolute_all' }), more).cannotPass).toBe(false); // 3 of 5
    expect(quorumCheck(draft({ majority: 'absolute' }), seats).cannotPass).toBe(false);
  });

  it('says why a poll had no quorum', () => {
    expect(noQuorumWhy(draft({ state: 'closed', result: 'no_quorum', quorum: 3, eligible: 2 }))).toEqual({ key: 'poll.noQuorumWhy', params: { present: 2, quorum: 3 } });
    expect(noQuorumWhy(draft({ state: 'closed', result: 'no_quorum', eligible: 1 }))?.key).toBe('poll.noQuorumWhyUnknown');
    expect(noQuorumWhy(draft({ state: 'closed', result: 'adopted' }))).toBeNull();
    const w = noQuorumWhy(draft({ state: 'closed', result: 'no_quorum', quorum: 3, eligible: 2 }))!;
    expect(t(w.key, w.params, 'vi')).toBe('Khi bắt đầu biểu quyết chỉ có 2 thành viên có mặt, thấp hơn số tối thiểu 3.');
    expect(t(w.key, w.params, 'en')).toBe('When the vote opened only 2 members were present, below the quorum of 3.');
  });

  it('hides the counts of a secret poll until it closes, and survives a null tally', () => {
    const open = draft({ state: 'open', secret: true, tally: null, voted: 1, eligible: 3 });
    expect(countsVisible(open)).toBe(false);
    expect(tallyRows(open)).toEqual([]);
    expect(optionsOf(open)).toEqual(['yes', 'no', 'abstain']);
    // Even if a server sent counts for an open secret poll, they are not shown.
    expect(tallyRows({ ...open, tally: { yes: 1 } })).toEqual([]);
    const closed = { ...open, state: 'closed' as const, tally: { yes: 1, no: 0, abstain: 0 } };
    expect(countsVisible(closed)).toBe(true);
    expect(tallyRows(closed).map((r) => r.count)).toEqual([1, 0, 0]);
    expect(tallyRows(draft({ state: 'open', tally: { yes: 2, no: 1 } })).map((r) => r.count)).toEqual([2, 1]);
  });

  it('words every majority so a chair understands it, in both languages', () => {
    expect(t('poll.majority.simple', undefined, 'vi')).toBe('Nhiều phiếu tán thành hơn không tán thành');
    expect(t('poll.majority.absolute', undefined, 'vi')).toBe('Quá nửa số thành viên có mặt');
    expect(t('poll.majority.absolute_all', undefined, 'vi')).toBe('Quá nửa tổng số thành viên');
    expect(t('poll.majority.two_thirds', undefined, 'vi')).toBe('Ít nhất hai phần ba số thành viên có mặt');
    for (const m of MAJORITIES) expect(t(`poll.majority.${m}`, undefined, 'en')).not.toBe(t(`poll.majority.${m}`, undefined, 'vi'));
  });
});
