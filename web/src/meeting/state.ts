// The meeting as a tablet sees it, and the pure function that applies one durable event.
// Events come from the live channel or from polling `/events?after=`; both deliver the same
// objects, so both go through `applyEvent`.
import type {
  AgendaItem,
  Doc,
  LiveEvent,
  Meeting,
  MeetingDetail,
  Participant,
  Poll,
  Speaker,
  SystemRole,
  User,
} from '../types';
import type { MinutesSignal } from '../minutes/model';

export interface MeetingView {
  meeting: Meeting;
  agenda: AgendaItem[];
  participants: Participant[];
  speakers: Speaker[];
  /** The meeting's live documents, in `position` order. */
  documents: Doc[];
  polls: Poll[];
  /** The last durable event applied. */
  lastSeq: number;
  /** The latest `minutes.updated` (no text: a tablet that may read the minutes re-reads them). */
  minutes?: MinutesSignal;
}

export function fromDetail(d: MeetingDetail): MeetingView {
  const { agenda, participants, speakers, documents, polls, ...meeting } = d;
  return {
    meeting,
    agenda,
    participants,
    speakers: openQueue(speakers),
    documents: sortDocs(documents ?? []),
    polls: polls ?? [],
    lastSeq: d.last_seq,
  };
}

function sortDocs(docs: Doc[]): Doc[] {
  return docs.slice().sort((a, b) => a.position - b.position || a.created_at.localeCompare(b.created_at));
}

function upsertDoc(list: Doc[], d: Doc): Doc[] {
  return sortDocs([...list.filter((x) => x.id !== d.id), d]);
}

/**
 * A poll event's poll: the server may send the poll itself or `{"poll":…}`; fields it leaves
 * out keep their known values.
 */
function upsertPoll(list: Poll[], data: any): Poll[] {
  const p = data && typeof data.poll === 'object' && data.poll ? data.poll : data;
  if (!p || typeof p.id !== 'string') return list;
  const i = list.findIndex((x) => x.id === p.id);
  const base: Poll = i >= 0 ? list[i] : { id: p.id, state: 'draft', tally: {}, voted: 0, eligible: 0, result: null };
  const merged: Poll = { ...base, ...p };
  const next = list.slice();
  if (i >= 0) next[i] = merged;
  else next.push(merged);
  return next;
}

/** Waiting and speaking requests, speaking first then by position. */
export function openQueue(speakers: Speaker[]): Speaker[] {
  return speakers
    .filter((s) => s.state === 'waiting' || s.state === 'speaking')
    .sort((a, b) => (a.state === b.state ? a.position - b.position : a.state === 'speaking' ? -1 : 1));
}

function upsert(list: Participant[], p: Participant): Participant[] {
  const i = list.findIndex((x) => x.user_id === p.user_id);
  if (i < 0) return [...list, p];
  const next = list.slice();
  next[i] = p;
  return next;
}

/**
 * Applies one durable event. Events at or below `lastSeq` are ignored (replays after a
 * reconnect), unknown types only advance `lastSeq`.
 */
export function applyEvent(s: MeetingView, e: LiveEvent): MeetingView {
  if (e.seq <= s.lastSeq) return s;
  const next: MeetingView = { ...s, lastSeq: e.seq, meeting: { ...s.meeting, last_seq: e.seq } };
  const d = e.data ?? {};
  switch (e.type) {
    case 'meeting.created':
    case 'meeting.updated':
      next.meeting = { ...next.meeting, ...(d as Meeting), last_seq: e.seq };
      break;
    case 'meeting.state':
      next.meeting = { ...next.meeting, state: d.state };
      // When it was held (contract v2 `started_at`/`ended_at`): the event's time, unless it says.
      if (d.state === 'live') next.meeting.started_at = d.started_at ?? next.meeting.started_at ?? e.at;
      if (d.state === 'closed') next.meeting.ended_at = d.ended_at ?? e.at;
      break;
    case 'participant.added':
    case 'participant.updated':
    case 'participant.checked_in':
    case 'participant.attendance':
      next.participants = upsert(s.participants, d as Participant);
      break;
    case 'participant.removed':
      next.participants = s.participants.filter((p) => p.user_id !== d.user_id);
      break;
    case 'agenda.changed':
      next.agenda = d.agenda as AgendaItem[];
      break;
    case 'speaker.changed':
      next.speakers = openQueue((d.queue as Speaker[]) ?? []);
      break;
    case 'document.added':
    case 'document.replaced':
    case 'document.updated':
      if (typeof d.id === 'string') next.documents = upsertDoc(s.documents, d as Doc);
      break;
    case 'document.deleted':
      next.documents = s.documents.filter((x) => x.id !== d.id);
      break;
    case 'poll.created':
    case 'poll.updated':
      next.polls = upsertPoll(s.polls, d);
      break;
    case 'poll.opened':
      next.polls = upsertPoll(s.polls, { ...(d.poll ?? d), state: 'open' });
      break;
    case 'poll.closed':
      next.polls = upsertPoll(s.polls, { ...(d.poll ?? d), ...(d.result !== undefined ? { result: d.result } : {}), state: 'closed' });
      break;
    case 'poll.tally':
      // A secret poll's events carry no `tally` until it closes (contract v2): the counts stay hidden.
      next.polls = upsertPoll(s.polls, {
        id: d.poll_id,
        ...('tally' in d ? { tally: d.tally ?? null } : {}),
        voted: d.voted,
        eligible: d.eligible,
        ...(typeof d.members === 'number' ? { members: d.members } : {}),
      });
      break;
    case 'minutes.updated':
      if (typeof d.version === 'number')
        next.minutes = { version: d.version, state: d.state === 'final' ? 'final' : 'draft', updated_by: d.updated_by ?? null, number: d.number ?? null };
      break;
    case 'poll.deleted':
      next.polls = s.polls.filter((p) => p.id !== (d.id ?? d.poll_id));
      break;
    default:
      break;
  }
  return next;
}

/**
 * The documents of one agenda item (null: the meeting's documents on no item), in order. A
 * document whose item no longer exists counts as on no item.
 */
export function documentsOf(v: MeetingView, itemId: string | null): Doc[] {
  if (itemId !== null) return v.documents.filter((d) => d.agenda_item_id === itemId);
  const ids = new Set(flatten(v.agenda).map((f) => f.item.id));
  return v.documents.filter((d) => d.agenda_item_id === null || !ids.has(d.agenda_item_id));
}

/**
 * May send `presenter.page` (docs/live.md): presiders (managers and the chair) and the
 * presenter of the current agenda item.
 */
export function canPresent(v: MeetingView, user: User): boolean {
  if (canPreside(v, user)) return true;
  const item = findItem(v.agenda, v.meeting.current_item_id);
  return !!item && item.presenter_id === user.id;
}

/**
 * May vote: `member` participants, the chair unless the meeting says `chair_votes: false`
 * (contract v2 "Voting rules"), or the substitute of a member.
 */
export function canVote(v: MeetingView, user: User): boolean {
  const p = myParticipant(v, user);
  return !!p && (p.role === 'member' || (p.role === 'chair' && v.meeting.chair_votes !== false));
}

export function applyEvents(s: MeetingView, events: LiveEvent[]): MeetingView {
  return events.reduce(applyEvent, s);
}

/** Depth-first, in agenda order, with each item's depth and outline number ("2.1"). */
export function flatten(items: AgendaItem[], depth = 0, prefix = ''): { item: AgendaItem; depth: number; number: string }[] {
  const out: { item: AgendaItem; depth: number; number: string }[] = [];
  items.forEach((item, i) => {
    const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
    out.push({ item, depth, number });
    out.push(...flatten(item.children ?? [], depth + 1, number));
  });
  return out;
}

export function findItem(items: AgendaItem[], id: string | null): AgendaItem | undefined {
  if (!id) return undefined;
  return flatten(items).find((f) => f.item.id === id)?.item;
}

/** The ids of the items sharing `parentId` (null: top level), in order. */
export function siblings(items: AgendaItem[], parentId: string | null): string[] {
  if (parentId === null) return items.map((i) => i.id);
  return findItem(items, parentId)?.children.map((c) => c.id) ?? [];
}

/** Moves `id` from its place to `to` (an index) among the ids; a new array. */
export function moveId(ids: string[], id: string, to: number): string[] {
  const rest = ids.filter((x) => x !== id);
  const at = Math.max(0, Math.min(to, rest.length));
  return [...rest.slice(0, at), id, ...rest.slice(at)];
}

export interface Counts {
  present: number;
  absent: number;
  substituted: number;
  unknown: number;
  voting_total: number;
  voting_present: number;
}

/**
 * The same counts as `GET …/attendance`; the voting ones count the chair too unless
 * `chairVotes` is false (contract v2 "Voting rules").
 */
export function counts(participants: Participant[], chairVotes = true): Counts {
  const c: Counts = { present: 0, absent: 0, substituted: 0, unknown: 0, voting_total: 0, voting_present: 0 };
  for (const p of participants) {
    c[p.attendance] += 1;
    if (p.role === 'member' || (chairVotes && p.role === 'chair')) {
      c.voting_total += 1;
      if (p.attendance === 'present' || p.attendance === 'substituted') c.voting_present += 1;
    }
  }
  return c;
}

/** The record the user appears in: as the participant, or as a member's substitute. */
export function myParticipant(v: MeetingView, user: User): Participant | undefined {
  return (
    v.participants.find((p) => p.user_id === user.id) ??
    v.participants.find((p) => p.substitute_id === user.id)
  );
}

const MANAGER_ROLES: SystemRole[] = ['admin', 'secretary'];

/** May edit the meeting, agenda and participants (system admin/secretary, meeting secretary). */
export function canManage(v: MeetingView, user: User): boolean {
  if (MANAGER_ROLES.includes(user.role)) return true;
  return v.participants.some((p) => p.user_id === user.id && p.role === 'secretary');
}

/** May start/close the meeting, set the current item, run the speaker queue, mark attendance. */
export function canPreside(v: MeetingView, user: User): boolean {
  return canManage(v, user) || v.participants.some((p) => p.user_id === user.id && p.role === 'chair');
}

/** May check in and request to speak: participants other than observers, and substitutes. */
export function canTakePart(v: MeetingView, user: User): boolean {
  const p = myParticipant(v, user);
  if (!p) return false;
  return p.user_id !== user.id || p.role !== 'observer';
}

/** Whether the user has checked in (as themselves, or as the substitute of a member). */
export function isCheckedIn(v: MeetingView, user: User): boolean {
  const p = myParticipant(v, user);
  if (!p) return false;
  if (p.user_id === user.id) return p.attendance === 'present';
  return p.attendance === 'substituted';
}

/**
 * Seconds left until `deadline` (negative once past), or null; never more than `limit` (a
 * tablet clock running behind the server's would otherwise show extra time).
 */
export function remainingSecs(deadline: string | null, now: number, limit?: number | null): number | null {
  if (!deadline) return null;
  const left = Math.ceil((Date.parse(deadline) - now) / 1000);
  return limit != null ? Math.min(left, limit) : left;
}

export type ListGroup = 'live' | 'upcoming' | 'past';

export function groupOf(m: Meeting): ListGroup {
  if (m.state === 'live') return 'live';
  if (isFinal(m.state)) return 'past';
  return 'upcoming';
}

/** Closed or cancelled: nothing of the meeting changes any more. */
export function isFinal(state: Meeting['state']): boolean {
  return state === 'closed' || state === 'cancelled';
}

/** Devices online per user id, from `presence` messages. */
export type PresenceMap = ReadonlyMap<string, number>;

/**
 * Applies a `presence` message. The server sends `{"type":"presence","data":{"users":[{"user_id",
 * "devices"}],"full":bool}}`: `full` is a snapshot of everyone connected, otherwise only the
 * users whose device count changed (0: gone). A message with `users` at the top level (as the
 * contract's shorthand reads) is taken as a snapshot.
 */
export function applyPresence(prev: PresenceMap, msg: any): PresenceMap {
  const body = msg?.data && Array.isArray(msg.data.users) ? msg.data : msg;
  const users: { user_id: string; devices: number }[] = Array.isArray(body?.users) ? body.users : [];
  const full = body === msg ? true : body.full !== false;
  const next = new Map(full ? [] : prev);
  for (const u of users) {
    if (u.devices > 0) next.set(u.user_id, u.devices);
    else next.delete(u.user_id);
  }
  return next;
}

/**
 * The item under discussion ("Đang thảo luận"): while the meeting is in progress (or about to
 * be: the chair may pick the first item beforehand); none once it is closed.
 */
export function discussedItem(m: Meeting): string | null {
  return m.state === 'live' || m.state === 'scheduled' ? m.current_item_id : null;
}

/**
 * The words of a participant's attendance: absent is "vắng có lý do" with a reason recorded and
 * "vắng không có lý do" without (glossary; the server keeps `absence_reason`).
 */
export function attendanceKey(p: Participant): 'att.status.unknown' | 'att.status.present' | 'att.status.absentExcused' | 'att.status.absentUnexcused' | 'att.status.substituted' {
  if (p.attendance === 'absent') return p.absence_reason?.trim() ? 'att.status.absentExcused' : 'att.status.absentUnexcused';
  return `att.status.${p.attendance}`;
}
