import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  applyEvents,
  applyPresence,
  canManage,
  canPreside,
  canTakePart,
  counts,
  flatten,
  fromDetail,
  groupOf,
  isFinal,
  isCheckedIn,
  moveId,
  myParticipant,
  remainingSecs,
  siblings,
} from '../src/meeting/state';
import type { Meeting, User } from '../src/types';
import { detail, ev, item, participant, speaker } from './fixtures';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });

describe('applyEvent', () => {
  it('ignores events already applied and advances lastSeq', () => {
    const s = fromDetail(detail());
    expect(s.lastSeq).toBe(3);
    expect(applyEvent(s, ev(3, 'meeting.state', { state: 'live' }))).toBe(s);
    const next = applyEvent(s, ev(4, 'meeting.state', { state: 'live', previous: 'scheduled' }));
    expect(next.meeting.state).toBe('live');
    expect(next.lastSeq).toBe(4);
    expect(next.meeting.last_seq).toBe(4);
    expect(s.meeting.state).toBe('scheduled'); // not mutated
  });

  it('replaces the meeting on meeting.updated', () => {
    const s = fromDetail(detail());
    const next = applyEvent(s, ev(4, 'meeting.updated', { ...s.meeting, title: 'Mới', current_item_id: 'a2', last_seq: 4 }));
    expect(next.meeting.title).toBe('Mới');
    expect(next.meeting.current_item_id).toBe('a2');
  });

  it('adds, updates and removes participants', () => {
    let s = fromDetail(detail());
    s = applyEvent(s, ev(4, 'participant.added', participant('m3', 'member')));
    expect(s.participants.map((p) => p.user_id)).toContain('m3');
    s = applyEvent(s, ev(5, 'participant.checked_in', participant('m1', 'member', { attendance: 'present', checked_in_at: '2026-12-01T01:02:00Z' })));
    expect(s.participants.find((p) => p.user_id === 'm1')!.attendance).toBe('present');
    s = applyEvent(s, ev(6, 'participant.attendance', participant('m3', 'member', { attendance: 'absent', absence_reason: 'ốm' })));
    expect(s.participants.find((p) => p.user_id === 'm3')!.absence_reason).toBe('ốm');
    s = applyEvent(s, ev(7, 'participant.removed', { user_id: 'm3' }));
    expect(s.participants.map((p) => p.user_id)).not.toContain('m3');
    expect(s.participants).toHaveLength(4);
  });

  it('takes the agenda tree and the open speaker queue', () => {
    let s = fromDetail(detail());
    s = applyEvent(s, ev(4, 'agenda.changed', { agenda: [item('a2', 'Tờ trình'), item('a1', 'Báo cáo')] }));
    expect(s.agenda.map((i) => i.id)).toEqual(['a2', 'a1']);
    s = applyEvent(
      s,
      ev(5, 'speaker.changed', {
        speaker: speaker('s1', 'm1', 'speaking', 1),
        queue: [speaker('s2', 'm2', 'waiting', 2), speaker('s1', 'm1', 'speaking', 1), speaker('s3', 'chair', 'waiting', 1)],
      }),
    );
    expect(s.speakers.map((x) => x.id)).toEqual(['s1', 's3', 's2']);
  });

  it('advances lastSeq over unknown event types', () => {
    const s = applyEvents(fromDetail(detail()), [ev(4, 'document.added', { id: 'd1' }), ev(5, 'poll.opened', {})]);
    expect(s.lastSeq).toBe(5);
  });

  it('drops finished requests from the initial queue', () => {
    const s = fromDetail(detail({ speakers: [speaker('s1', 'm1', 'done', 1), speaker('s2', 'm2', 'waiting', 2)] }));
    expect(s.speakers.map((x) => x.id)).toEqual(['s2']);
  });
});

describe('agenda helpers', () => {
  const agenda = detail().agenda;
  it('flattens with outline numbers', () => {
    expect(flatten(agenda).map((f) => `${f.number}:${f.depth}`)).toEqual(['1:0', '2:0', '2.1:1', '2.2:1']);
  });
  it('finds siblings of a parent and at the top', () => {
    expect(siblings(agenda, null)).toEqual(['a1', 'a2']);
    expect(siblings(agenda, 'a2')).toEqual(['a21', 'a22']);
  });
  it('moves an id within a list', () => {
    expect(moveId(['a', 'b', 'c'], 'c', 0)).toEqual(['c', 'a', 'b']);
    expect(moveId(['a', 'b', 'c'], 'a', 2)).toEqual(['b', 'c', 'a']);
    expect(moveId(['a', 'b', 'c'], 'a', 9)).toEqual(['b', 'c', 'a']);
    expect(moveId(['a', 'b', 'c'], 'b', -1)).toEqual(['b', 'a', 'c']);
  });
});

describe('attendance and roles', () => {
  it('counts like GET …/attendance (a substituted member counts as present)', () => {
    const v = fromDetail(detail());
    v.participants[1] = { ...v.participants[1], attendance: 'present' };
    v.participants[2] = { ...v.participants[2], attendance: 'substituted' };
    v.participants[0] = { ...v.participants[0], attendance: 'absent' };
    // The chair (absent here) holds a voting seat unless the meeting says chair_votes: false (contract v2).
    expect(counts(v.participants)).toEqual({ present: 1, absent: 1, substituted: 1, unknown: 1, voting_total: 3, voting_present: 2 });
    expect(counts(v.participants, false)).toEqual({ present: 1, absent: 1, substituted: 1, unknown: 1, voting_total: 2, voting_present: 2 });
  });

  it('derives what a user may do', () => {
    const v = fromDetail(detail());
    expect(canManage(v, user('x', 'secretary'))).toBe(true);
    expect(canManage(v, user('chair'))).toBe(false);
    expect(canPreside(v, user('chair'))).toBe(true);
    expect(canPreside(v, user('m1'))).toBe(false);
    expect(canTakePart(v, user('m1'))).toBe(true);
    expect(canTakePart(v, user('obs'))).toBe(false);
    expect(canTakePart(v, user('sub'))).toBe(true);
    expect(canTakePart(v, user('stranger'))).toBe(false);
    expect(myParticipant(v, user('sub'))!.user_id).toBe('m2');
  });

  it('knows when a substitute has checked in', () => {
    const v = fromDetail(detail());
    expect(isCheckedIn(v, user('sub'))).toBe(false);
    v.participants[2] = { ...v.participants[2], attendance: 'substituted' };
    expect(isCheckedIn(v, user('sub'))).toBe(true);
    expect(isCheckedIn(v, user('m2'))).toBe(false);
  });
});

describe('time and grouping', () => {
  it('counts down to the deadline, capped at the limit', () => {
    const now = Date.parse('2026-12-01T01:00:00Z');
    expect(remainingSecs(null, now)).toBeNull();
    expect(remainingSecs('2026-12-01T01:02:00Z', now)).toBe(120);
    expect(remainingSecs('2026-12-01T01:02:00Z', now + 500)).toBe(120);
    expect(remainingSecs('2026-12-01T01:02:00Z', now + 1000)).toBe(119);
    expect(remainingSecs('2026-12-01T01:02:00Z', now - 3000, 120)).toBe(120);
    expect(remainingSecs('2026-12-01T01:00:00Z', now + 5000)).toBe(-5);
  });
  it('groups meetings into live, upcoming and past', () => {
    const m = fromDetail(detail()).meeting;
    expect(groupOf({ ...m, state: 'draft' })).toBe('upcoming');
    expect(groupOf({ ...m, state: 'scheduled' })).toBe('upcoming');
    expect(groupOf({ ...m, state: 'live' })).toBe('live');
    expect(groupOf({ ...m, state: 'closed' })).toBe('past');
    // A cancelled meeting will not be held: with the past ones, not among the upcoming.
    expect(groupOf({ ...m, state: 'cancelled' })).toBe('past');
    expect(['draft', 'scheduled', 'live', 'closed', 'cancelled'].map((x) => isFinal(x as Meeting['state']))).toEqual([false, false, false, true, true]);
  });
});

describe('applyPresence', () => {
  it('takes a full snapshot, then deltas where 0 devices means gone', () => {
    let p = applyPresence(new Map(), { type: 'presence', data: { full: true, users: [{ user_id: 'a', devices: 1 }, { user_id: 'b', devices: 2 }] } });
    expect([...p.entries()]).toEqual([['a', 1], ['b', 2]]);
    p = applyPresence(p, { type: 'presence', data: { full: false, users: [{ user_id: 'a', devices: 0 }, { user_id: 'c', devices: 1 }] } });
    expect([...p.entries()].sort()).toEqual([['b', 2], ['c', 1]]);
    p = applyPresence(p, { type: 'presence', data: { full: true, users: [{ user_id: 'c', devices: 1 }] } });
    expect([...p.keys()]).toEqual(['c']);
  });
  it('reads the contract shorthand with users at the top level as a snapshot', () => {
    const p = applyPresence(new Map([['x', 1]]), { type: 'presence', users: [{ user_id: 'a', devices: 1 }] });
    expect([...p.keys()]).toEqual(['a']);
  });
});
