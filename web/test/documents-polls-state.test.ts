import { describe, expect, it } from 'vitest';
import { applyEvent, applyEvents, canPresent, canVote, documentsOf, fromDetail } from '../src/meeting/state';
import { pollAwaitingBallot } from '../src/polls/logic';
import type { User } from '../src/types';
import { detail, doc, ev, item, poll } from './fixtures';

const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });

describe('documents from events', () => {
  const base = () =>
    fromDetail(detail({ documents: [doc('d2', 'a1', { position: 1 }), doc('d1', 'a1', { position: 0 }), doc('d3', null)] }));

  it('keeps them in position order, per agenda item and on no item', () => {
    const s = base();
    expect(s.documents.map((d) => d.id)).toEqual(['d1', 'd3', 'd2']);
    expect(documentsOf(s, 'a1').map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(documentsOf(s, 'a2')).toEqual([]);
    expect(documentsOf(s, null).map((d) => d.id)).toEqual(['d3']);
  });

  it('adds, replaces (new version), renames or moves, and deletes', () => {
    let s = base();
    s = applyEvent(s, ev(4, 'document.added', doc('d4', 'a21', { position: 0, title: 'Dự toán thu' })));
    expect(documentsOf(s, 'a21').map((d) => d.title)).toEqual(['Dự toán thu']);
    s = applyEvent(s, ev(5, 'document.replaced', doc('d1', 'a1', { version: 2, pages: 9, sha256: 'new' })));
    expect(s.documents.find((d) => d.id === 'd1')).toMatchObject({ version: 2, pages: 9, sha256: 'new' });
    expect(s.documents.filter((d) => d.id === 'd1')).toHaveLength(1);
    s = applyEvent(s, ev(6, 'document.updated', doc('d2', 'a2', { title: 'Đổi tên', position: 0 })));
    expect(documentsOf(s, 'a1').map((d) => d.id)).toEqual(['d1']);
    expect(documentsOf(s, 'a2').map((d) => d.title)).toEqual(['Đổi tên']);
    s = applyEvent(s, ev(7, 'document.deleted', { id: 'd3' }));
    expect(s.documents.map((d) => d.id)).not.toContain('d3');
    expect(s.lastSeq).toBe(7);
  });

  it('ignores a replayed document event', () => {
    const s = base();
    expect(applyEvent(s, ev(3, 'document.deleted', { id: 'd1' }))).toBe(s);
  });

  it('counts a document whose agenda item is gone as on no item', () => {
    let s = base();
    s = applyEvent(s, ev(4, 'agenda.changed', { agenda: [item('a2', 'Tờ trình')] }));
    expect(documentsOf(s, null).map((d) => d.id)).toEqual(['d1', 'd3', 'd2']);
  });
});

describe('polls from events', () => {
  it('creates, opens, tallies and closes a poll', () => {
    let s = fromDetail(detail());
    s = applyEvents(s, [
      ev(4, 'poll.created', poll('p1')),
      ev(5, 'poll.opened', { ...poll('p1'), state: 'open' }),
      ev(6, 'poll.tally', { poll_id: 'p1', tally: { yes: 2, no: 0, abstain: 1 }, voted: 3, eligible: 3 }),
    ]);
    expect(s.polls).toHaveLength(1);
    expect(s.polls[0]).toMatchObject({ state: 'open', voted: 3, tally: { yes: 2, abstain: 1 }, title: 'Biểu quyết p1' });
    s = applyEvent(s, ev(7, 'poll.closed', { id: 'p1', result: 'adopted', tally: { yes: 2, no: 0, abstain: 1 } }));
    expect(s.polls[0]).toMatchObject({ state: 'closed', result: 'adopted', title: 'Biểu quyết p1' });
  });

  it('accepts a poll wrapped as {poll}, and a tally for a poll it did not know', () => {
    let s = fromDetail(detail({ polls: [poll('p1')] }));
    s = applyEvent(s, ev(4, 'poll.opened', { poll: { id: 'p1', opened_at: 'x' } }));
    expect(s.polls[0].state).toBe('open');
    s = applyEvent(s, ev(5, 'poll.tally', { poll_id: 'p9', tally: { yes: 1 }, voted: 1, eligible: 5 }));
    expect(s.polls.find((p) => p.id === 'p9')).toMatchObject({ voted: 1, eligible: 5 });
  });
});

describe('secret polls and majorities of all members (contract v2)', () => {
  it('keeps the counts of a secret poll hidden while its events carry none, shows them at close', () => {
    let s = fromDetail(detail({ polls: [poll('p1', { secret: true, state: 'open', tally: null })] }));
    s = applyEvent(s, ev(4, 'poll.tally', { poll_id: 'p1', voted: 1, eligible: 3 }));
    expect(s.polls[0]).toMatchObject({ voted: 1, eligible: 3, tally: null });
    s = applyEvent(s, ev(5, 'poll.tally', { poll_id: 'p1', voted: 2, eligible: 3, tally: null }));
    expect(s.polls[0].tally).toBeNull();
    s = applyEvent(s, ev(6, 'poll.closed', { id: 'p1', poll_id: 'p1', state: 'closed', result: 'adopted', tally: { yes: 2, no: 0, abstain: 0 }, voted: 2, eligible: 3 }));
    expect(s.polls[0]).toMatchObject({ state: 'closed', tally: { yes: 2, no: 0, abstain: 0 } });
  });

  it('keeps members (all voting participants) from the poll and from tally events', () => {
    let s = fromDetail(detail({ polls: [poll('p1', { majority: 'absolute_all', state: 'open', members: 5 })] }));
    s = applyEvent(s, ev(4, 'poll.tally', { poll_id: 'p1', tally: { yes: 1 }, voted: 1, eligible: 3 }));
    expect(s.polls[0]).toMatchObject({ members: 5, voted: 1 });
    s = applyEvent(s, ev(5, 'poll.tally', { poll_id: 'p1', tally: { yes: 2 }, voted: 2, eligible: 3, members: 6 }));
    expect(s.polls[0].members).toBe(6);
  });
});

describe('polls in the server’s shapes (docs/polls.md "Live events")', () => {
  it('takes poll.opened/closed as the poll plus poll_id, the final tally, the result and named ballots', () => {
    const server = (extra: object) => ({ ...poll('p1', { secret: false, options: ['yes', 'no', 'abstain'], allow_change: false }), poll_id: 'p1', ...extra });
    let s = fromDetail(detail({ polls: [poll('p1')] }));
    s = applyEvents(s, [
      ev(4, 'poll.opened', server({ state: 'open', eligible: 3, opened_at: '2026-11-28T08:00:00Z' })),
      ev(5, 'poll.tally', { poll_id: 'p1', tally: { yes: 1, no: 0, abstain: 0 }, voted: 1, eligible: 3 }),
      ev(6, 'poll.tally', { poll_id: 'p1', tally: { yes: 1, no: 1, abstain: 0 }, voted: 2, eligible: 3 }),
    ]);
    expect(s.polls[0]).toMatchObject({ state: 'open', voted: 2, eligible: 3, tally: { yes: 1, no: 1, abstain: 0 }, result: null });
    s = applyEvent(
      s,
      ev(7, 'poll.tally', { poll_id: 'p1', tally: { yes: 2, no: 1, abstain: 0 }, voted: 3, eligible: 3 }),
    );
    s = applyEvent(
      s,
      ev(8, 'poll.closed', server({ state: 'closed', tally: { yes: 2, no: 1, abstain: 0 }, voted: 3, eligible: 3, result: 'adopted', ballots: [{ user_id: 'm1', choice: 'yes' }, { user_id: 'm3', choice: 'no', cast_by: 'sub' }] })),
    );
    expect(s.polls[0]).toMatchObject({ state: 'closed', result: 'adopted', voted: 3, ballots: [{ user_id: 'm1' }, { user_id: 'm3', cast_by: 'sub' }] });
    // A replay of the same events changes nothing.
    expect(applyEvent(s, ev(6, 'poll.tally', { poll_id: 'p1', tally: {}, voted: 0, eligible: 0 }))).toBe(s);
    s = applyEvent(s, ev(9, 'poll.deleted', { poll_id: 'p1', title: 'x' }));
    expect(s.polls).toEqual([]);
  });
});

describe('who presents and who votes', () => {
  it('lets presiders and the presenter of the current item present', () => {
    const d = detail({ current_item_id: 'a2' });
    d.agenda[1].presenter_id = 'm1';
    const s = fromDetail(d);
    expect(canPresent(s, user('chair'))).toBe(true);
    expect(canPresent(s, user('sec', 'secretary'))).toBe(true);
    expect(canPresent(s, user('m1'))).toBe(true);
    expect(canPresent(s, user('m2'))).toBe(false);
    const other = applyEvent(s, ev(4, 'meeting.updated', { ...s.meeting, current_item_id: 'a1' }));
    expect(canPresent(other, user('m1'))).toBe(false);
  });

  it('lets members, substitutes and the chair vote (v2), not observers; not the chair when chair_votes is false', () => {
    const s = fromDetail(detail());
    expect(canVote(s, user('m1'))).toBe(true);
    expect(canVote(s, user('sub'))).toBe(true);
    expect(canVote(s, user('obs'))).toBe(false);
    expect(canVote(s, user('chair'))).toBe(true);
    expect(canVote(fromDetail({ ...detail(), chair_votes: false }), user('chair'))).toBe(false);
    expect(canVote(s, user('stranger'))).toBe(false);
  });
});

describe('the call to vote (banner over the reader)', () => {
  const open = (id: string) => poll(id, { state: 'open' });
  const checkedIn = () => {
    const d = detail();
    d.participants = d.participants.map((p) => (p.user_id === 'm1' || p.user_id === 'chair' ? { ...p, attendance: 'present' as const } : p));
    return d;
  };
  it('calls a voter to an open poll until they have a receipt or were told they voted', () => {
    const s = fromDetail({ ...checkedIn(), polls: [poll('p0'), open('p1'), open('p2')] });
    expect(pollAwaitingBallot(s, user('m1'), {})?.id).toBe('p1');
    expect(pollAwaitingBallot(s, user('m1'), { 'm1/p1': 'R' })?.id).toBe('p2');
    expect(pollAwaitingBallot(s, user('m1'), { 'm1/p1': 'R' }, new Set(['p2']))).toBeUndefined();
    // Another user's receipt on this tablet does not count.
    expect(pollAwaitingBallot(s, user('m1'), { 'm2/p1': 'R' })?.id).toBe('p1');
  });
  it('does not call observers, members not checked in, or a chair who does not vote', () => {
    const s = fromDetail({ ...checkedIn(), polls: [open('p1')] });
    expect(pollAwaitingBallot(s, user('obs'), {})).toBeUndefined();
    expect(pollAwaitingBallot(s, user('m2'), {})).toBeUndefined();
    expect(pollAwaitingBallot(s, user('chair'), {})?.id).toBe('p1');
    expect(pollAwaitingBallot(fromDetail({ ...checkedIn(), chair_votes: false, polls: [open('p1')] }), user('chair'), {})).toBeUndefined();
    expect(pollAwaitingBallot(fromDetail({ ...checkedIn(), polls: [poll('p1', { state: 'closed' })] }), user('m1'), {})).toBeUndefined();
  });
});
