import { describe, expect, it } from 'vitest';
import { t } from '../src/i18n';
import {
  answerBody,
  answeredPolls,
  answersInWriting,
  COMMENT_MAX,
  countdown,
  loadAnswers,
  mergeAnswer,
  myAnswer,
  splitAnswers,
  orderConsultations,
  saveAnswer,
  standingOf,
  validateAnswer,
  writtenResult,
  writtenVoters,
  type AnswersList,
  type Entry,
  type MyAnswer,
  type ServerBallot,
} from '../src/written/logic';
import type { Meeting, Participant } from '../src/types';
import { poll } from './fixtures';

const NOW = Date.parse('2026-12-08T01:00:00Z');

function meeting(id: string, extra: Partial<Meeting> = {}): Meeting {
  return {
    id,
    title: `Xin ý kiến ${id}`,
    description: null,
    location: null,
    starts_at: '2026-12-07T08:00:00Z',
    state: 'scheduled',
    watermark: null,
    speech_limit_secs: null,
    current_item_id: null,
    kind: 'written',
    deadline: '2026-12-10T10:00:00Z',
    silence: 'agree',
    last_seq: 0,
    created_by: 'u0',
    created_at: '2026-12-07T00:00:00Z',
    updated_at: '2026-12-07T00:00:00Z',
    ...extra,
  };
}

function person(user_id: string, role: Participant['role']): Participant {
  return { user_id, username: user_id, display_name: user_id, role, substitute_id: null, substitute_name: null, attendance: 'unknown', absence_reason: null, checked_in_at: null };
}

class MemStore {
  map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
}

describe('the list of consultations', () => {
  it('puts those awaiting my answer first, nearest deadline first; then answered, drafts, and closed ones most recent first', () => {
    const e = (id: string, standing: Entry['standing'], deadline: string): Entry => ({ meeting: meeting(id, { deadline }), standing });
    const entries = [
      e('closed-old', 'closed', '2026-11-01T00:00:00Z'),
      e('answered-soon', 'answered', '2026-12-08T05:00:00Z'),
      e('awaiting-late', 'awaiting', '2026-12-20T00:00:00Z'),
      e('draft', 'draft', '2026-12-09T00:00:00Z'),
      e('closed-new', 'closed', '2026-12-05T00:00:00Z'),
      e('awaiting-soon', 'awaiting', '2026-12-08T02:00:00Z'),
    ];
    expect(orderConsultations(entries).map((x) => x.meeting.id)).toEqual(['awaiting-soon', 'awaiting-late', 'answered-soon', 'draft', 'closed-new', 'closed-old']);
    // The input is left as it was.
    expect(entries[0].meeting.id).toBe('closed-old');
  });

  it('knows where the member stands from the open polls and the answers given here', () => {
    const m = meeting('m');
    const polls = [poll('p1', { state: 'open' }), poll('p2', { state: 'open' }), poll('p3', { state: 'closed' })];
    expect(standingOf(m, polls, true, new Set(['p1']), NOW)).toBe('awaiting');
    expect(standingOf(m, polls, true, new Set(['p1', 'p2']), NOW)).toBe('answered');
    // Someone who does not answer (the secretary) is never awaited.
    expect(standingOf(m, polls, false, new Set(), NOW)).toBe('answered');
    expect(standingOf(meeting('d', { state: 'draft' }), polls, true, new Set(), NOW)).toBe('draft');
    expect(standingOf(meeting('c', { state: 'closed' }), polls, true, new Set(), NOW)).toBe('closed');
    // Past its deadline but not yet closed by the server (it checks every few seconds): closed.
    expect(standingOf(meeting('late', { deadline: '2026-12-08T00:59:59Z' }), polls, true, new Set(), NOW)).toBe('closed');
  });

  it('answers for their own seat: members, and the chair unless the meeting says not', () => {
    const ps = [person('chair', 'chair'), person('sec', 'secretary'), person('m1', 'member'), person('obs', 'observer')];
    expect(answersInWriting(ps, 'm1')).toBe(true);
    expect(answersInWriting(ps, 'chair')).toBe(true);
    expect(answersInWriting(ps, 'chair', false)).toBe(false);
    expect(answersInWriting(ps, 'sec')).toBe(false);
    expect(answersInWriting(ps, 'obs')).toBe(false);
    expect(writtenVoters(ps).map((p) => p.user_id)).toEqual(['chair', 'm1']);
  });
});

describe('the countdown to the deadline', () => {
  it('says days and hours, then hours and minutes, then minutes and seconds, then that it passed', () => {
    const at = (secs: number) => new Date(NOW + secs * 1000).toISOString();
    const c1 = countdown(at(2 * 86400 + 3 * 3600 + 59), NOW);
    expect([c1.key, c1.params, c1.soon]).toEqual(['written.left.days', { d: 2, h: 3 }, false]);
    const c2 = countdown(at(4 * 3600 + 5 * 60 + 1), NOW);
    expect([c2.key, c2.params, c2.soon]).toEqual(['written.left.hours', { h: 4, m: '05' }, true]);
    const c3 = countdown(at(42), NOW);
    expect([c3.key, c3.params, c3.secs]).toEqual(['written.left.minutes', { m: 0, s: '42' }, 42]);
    expect(t(c3.key, c3.params, 'vi')).toBe('Còn 0:42');
    expect(t(c3.key, c3.params, 'en')).toBe('0:42 left');
    // A part of a second left still counts as a second.
    expect(countdown(new Date(NOW + 200).toISOString(), NOW).secs).toBe(1);
    for (const past of [at(0), at(-5)]) {
      const c = countdown(past, NOW);
      expect([c.over, c.key, c.secs]).toEqual([true, 'written.left.over', 0]);
    }
  });
});

describe('the answer form', () => {
  it('needs a choice, a comment with "other", at most 2,000 characters, none on a secret poll', () => {
    expect(validateAnswer(null, '')).toBe('written.err.choose');
    expect(validateAnswer('agree', '')).toBeNull();
    expect(validateAnswer('disagree', 'Cần bổ sung dự toán.')).toBeNull();
    expect(validateAnswer('other', '')).toBe('err.comment_required');
    expect(validateAnswer('other', '   \n ')).toBe('err.comment_required');
    expect(validateAnswer('other', 'Đề nghị lùi thời hạn.')).toBeNull();
    // Counted as the server counts: code points of the trimmed text (Vietnamese letters count one each).
    expect(validateAnswer('other', 'ệ'.repeat(COMMENT_MAX))).toBeNull();
    expect(validateAnswer('other', `  ${'ệ'.repeat(COMMENT_MAX)}  `)).toBeNull();
    expect(validateAnswer('other', 'ệ'.repeat(COMMENT_MAX + 1))).toBe('err.comment_too_long');
    expect(validateAnswer('agree', 'ý kiến', true)).toBe('err.invalid_comment');
    expect(validateAnswer('agree', '', true)).toBeNull();
  });

  it('sends the comment trimmed, and none when empty', () => {
    expect(answerBody('agree', '  ')).toEqual({ choice: 'agree' });
    expect(answerBody('other', '  Lùi thời hạn.\n')).toEqual({ choice: 'other', comment: 'Lùi thời hạn.' });
  });

  it('shows my answer from this tablet while open and the published ballot once closed', () => {
    const store = new MemStore();
    saveAnswer('u1', 'p1', { choice: 'disagree', comment: null, at: '2026-12-08T00:10:00Z', state: 'sent' }, store);
    saveAnswer('u1', 'p1', { choice: 'agree', comment: null, at: '2026-12-08T00:20:00Z', state: 'sent' }, store);
    saveAnswer('u2', 'p9', { choice: 'other', comment: 'x', at: '2026-12-08T00:30:00Z', state: 'queued' }, store);
    const answers = loadAnswers(store);
    expect(answeredPolls({ id: 'u1' }, answers)).toEqual(new Set(['p1']));
    expect(myAnswer(poll('p1', { state: 'open' }), 'u1', answers)?.choice).toBe('agree');
    expect(myAnswer(poll('p1', { state: 'open' }), 'u2', answers)).toBeNull();
    const closed = poll('p1', { state: 'closed', ballots: [{ user_id: 'u1', choice: 'other', comment: 'Từ máy khác' }] });
    expect(myAnswer(closed, 'u1', answers)).toMatchObject({ choice: 'other', comment: 'Từ máy khác', state: 'sent' });
    // A queued answer that never arrived is not shown as given once the poll closed.
    expect(myAnswer(poll('p9', { state: 'closed', ballots: [] }), 'u2', answers)).toBeNull();
    // Storage that holds nonsense reads as nothing.
    store.setItem('ecabinet.written.answers', '{not json');
    expect(loadAnswers(store)).toEqual({});
  });
});

describe('the result', () => {
  it('keeps those deemed to agree apart from the answers', () => {
    const p = poll('p', {
      state: 'closed',
      options: ['agree', 'disagree', 'other'],
      tally: { agree: 1, disagree: 0, other: 1 },
      deemed: { agree: 2 },
      voted: 2,
      eligible: 4,
      members: 4,
      result: 'adopted',
    });
    expect(writtenResult(p)).toEqual({
      rows: [
        { option: 'agree', count: 1, deemed: 2 },
        { option: 'disagree', count: 0, deemed: 0 },
        { option: 'other', count: 1, deemed: 0 },
      ],
      answered: 2,
      deemed: 2,
      members: 4,
    });
  });
});

describe("the member's answer from the server", () => {
  const server = (o: Partial<ServerBallot> = {}): ServerBallot => ({ poll_id: 'p1', voted: true, choice: 'disagree', comment: 'Cần sửa điều 3', cast_at: '2026-12-08T02:00:00Z', ...o });
  const sent: MyAnswer = { choice: 'agree', comment: null, at: '2026-12-08T01:00:00Z', state: 'sent' };

  it("shows an answer given on another device over the tablet's older one", () => {
    expect(mergeAnswer(server(), sent)).toEqual({ choice: 'disagree', comment: 'Cần sửa điều 3', at: '2026-12-08T02:00:00Z', state: 'sent' });
    expect(mergeAnswer(server(), null)?.choice).toBe('disagree');
  });

  it('falls back to what the tablet remembers when the server could not be asked', () => {
    expect(mergeAnswer(null, sent)).toBe(sent);
    expect(mergeAnswer(null, null)).toBeNull();
  });

  it('keeps a queued answer newer than the server\'s, not an older one', () => {
    const queued: MyAnswer = { ...sent, state: 'queued', at: '2026-12-08T03:00:00Z' };
    expect(mergeAnswer(server(), queued)).toBe(queued);
    expect(mergeAnswer(server({ voted: false, choice: null, comment: null, cast_at: null }), queued)).toBe(queued);
    expect(mergeAnswer(server(), { ...queued, at: '2026-12-08T01:30:00Z' })?.choice).toBe('disagree');
  });

  it('trusts the server that the seat has not answered', () => {
    expect(mergeAnswer(server({ voted: false, choice: null, comment: null, cast_at: null }), sent)).toBeNull();
  });

  it('on a secret poll says only that the seat answered, unless the tablet knows its own choice', () => {
    const secret = server({ choice: null, comment: null });
    expect(mergeAnswer(secret, null)).toEqual({ choice: null, comment: null, at: '2026-12-08T02:00:00Z', state: 'sent' });
    expect(mergeAnswer(secret, sent)).toBe(sent);
  });
});

describe('who has answered (the presiders)', () => {
  const list: AnswersList = {
    poll_id: 'p1',
    secret: false,
    answered: 2,
    answers: [
      { user_id: 'u3', display_name: 'Trần Thị Hoa', answered: true, answered_at: '2026-12-08T02:05:00Z' },
      { user_id: 'u1', display_name: 'Đỗ Văn An', answered: false, answered_at: null },
      { user_id: 'u2', display_name: 'Bùi Minh Châu', answered: true, answered_at: '2026-12-08T01:05:00Z' },
      { user_id: 'u4', display_name: 'Bùi Anh', answered: false, answered_at: null },
    ],
  };

  it('lists those who answered by time and those who have not yet by name', () => {
    const { answered, waiting } = splitAnswers(list);
    expect(answered.map((a) => a.user_id)).toEqual(['u2', 'u3']);
    expect(waiting.map((a) => a.user_id)).toEqual(['u4', 'u1']);
  });

  it('orders a secret poll\'s answers (no times) by name', () => {
    const secret = { ...list, secret: true, answers: list.answers.map((a) => ({ ...a, answered: true, answered_at: null })) };
    expect(splitAnswers(secret).answered.map((a) => a.display_name)).toEqual(['Bùi Anh', 'Bùi Minh Châu', 'Đỗ Văn An', 'Trần Thị Hoa']);
    expect(splitAnswers(secret).waiting).toEqual([]);
  });
});
