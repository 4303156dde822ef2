import type { AgendaItem, Doc, LiveEvent, MeetingDetail, Participant, Poll, Speaker } from '../src/types';
import type { CacheLike } from '../src/documents/offline';

export function doc(id: string, agenda_item_id: string | null, extra: Partial<Doc> = {}): Doc {
  return {
    id,
    meeting_id: 'm1',
    agenda_item_id,
    title: `Tài liệu ${id}`,
    position: 0,
    version: 1,
    pages: 2,
    bytes: 1000,
    sha256: `sha-${id}`,
    created_at: '2026-11-28T00:00:00Z',
    updated_at: '2026-11-28T00:00:00Z',
    ...extra,
  };
}

export function poll(id: string, extra: Partial<Poll> = {}): Poll {
  return {
    id,
    title: `Biểu quyết ${id}`,
    state: 'draft',
    secret: false,
    options: ['yes', 'no', 'abstain'],
    majority: 'simple',
    tally: { yes: 0, no: 0, abstain: 0 },
    voted: 0,
    eligible: 3,
    result: null,
    ...extra,
  };
}

export function item(id: string, title: string, children: AgendaItem[] = [], parent_id: string | null = null): AgendaItem {
  return { id, parent_id, position: 0, title, duration_minutes: null, presenter_id: null, notes: null, children };
}

export function participant(user_id: string, role: Participant['role'], extra: Partial<Participant> = {}): Participant {
  return {
    user_id,
    username: user_id,
    display_name: user_id.toUpperCase(),
    role,
    substitute_id: null,
    substitute_name: null,
    attendance: 'unknown',
    absence_reason: null,
    checked_in_at: null,
    ...extra,
  };
}

export function speaker(id: string, user_id: string, state: Speaker['state'], position: number, extra: Partial<Speaker> = {}): Speaker {
  return {
    id,
    user_id,
    display_name: user_id,
    agenda_item_id: null,
    state,
    position,
    requested_at: '2026-12-01T01:00:00Z',
    started_at: null,
    ended_at: null,
    spoken_secs: null,
    limit_secs: null,
    deadline: null,
    ...extra,
  };
}

export function detail(extra: Partial<MeetingDetail> = {}): MeetingDetail {
  return {
    id: 'm1',
    title: 'Phiên họp thường kỳ',
    description: null,
    location: 'Hội trường UBND xã',
    starts_at: '2026-12-01T01:00:00Z',
    state: 'scheduled',
    watermark: null,
    speech_limit_secs: null,
    current_item_id: null,
    last_seq: 3,
    created_by: 'u-sec',
    created_at: '2026-11-28T00:00:00Z',
    updated_at: '2026-11-28T00:00:00Z',
    agenda: [item('a1', 'Báo cáo'), item('a2', 'Tờ trình', [item('a21', 'Thu', [], 'a2'), item('a22', 'Chi', [], 'a2')])],
    participants: [
      participant('chair', 'chair'),
      participant('m1', 'member'),
      participant('m2', 'member', { substitute_id: 'sub', substitute_name: 'SUB' }),
      participant('obs', 'observer'),
    ],
    documents: [],
    polls: [],
    speakers: [],
    ...extra,
  };
}

export function ev(seq: number, type: string, data: unknown): LiveEvent {
  return { seq, type, at: '2026-12-01T01:00:00Z', data };
}

/** An in-memory Cache Storage for the document store's tests. */
export class FakeCache implements CacheLike {
  store = new Map<string, Response>();
  async match(k: string) {
    return this.store.get(k)?.clone();
  }
  async put(k: string, r: Response) {
    this.store.set(k, r);
  }
  async delete(k: string) {
    return this.store.delete(k);
  }
  async keys() {
    return [...this.store.keys()].map((k) => ({ url: `http://127.0.0.1:8080${k}` }));
  }
}
