// Shapes of the server's JSON (docs/api.md and /api/v1/openapi.json).

export type SystemRole = 'admin' | 'secretary' | 'member';
/** `cancelled`: a scheduled meeting called off before it went live (docs/api.md, Meetings). */
export type MeetingState = 'draft' | 'scheduled' | 'live' | 'closed' | 'cancelled';
export type MeetingRole = 'chair' | 'secretary' | 'member' | 'observer';
export type Attendance = 'unknown' | 'present' | 'absent' | 'substituted';
export type MeetingKind = 'session' | 'written';
export type Silence = 'agree' | 'none';
export type SpeakerState = 'waiting' | 'speaking' | 'done' | 'withdrawn';

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: SystemRole;
  created_at?: string;
}

export interface Meeting {
  id: string;
  title: string;
  description: string | null;
  location: string | null;
  starts_at: string;
  state: MeetingState;
  watermark: string | null;
  speech_limit_secs: number | null;
  current_item_id: string | null;
  /** Contract v2 "Voting rules": the chair votes and is counted unless this is false (absent: true). */
  chair_votes?: boolean;
  /** When it went live and when it closed (contract v2; null before, absent from older servers). */
  started_at?: string | null;
  ended_at?: string | null;
  /** Contract v2: `written` is a meeting held in writing (lấy ý kiến bằng văn bản); absent on older servers. */
  kind?: MeetingKind;
  /** A written meeting's deadline for answers (RFC 3339); null for sessions. */
  deadline?: string | null;
  /** A written meeting's rule for who does not answer: deemed to agree, or not counted; null for sessions. */
  silence?: Silence | null;
  last_seq: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface AgendaItem {
  id: string;
  parent_id: string | null;
  position: number;
  title: string;
  duration_minutes: number | null;
  presenter_id: string | null;
  notes: string | null;
  children: AgendaItem[];
}

export interface Participant {
  user_id: string;
  username: string;
  display_name: string;
  role: MeetingRole;
  substitute_id: string | null;
  substitute_name: string | null;
  attendance: Attendance;
  absence_reason: string | null;
  checked_in_at: string | null;
}

export interface Speaker {
  id: string;
  user_id: string;
  display_name: string;
  agenda_item_id: string | null;
  state: SpeakerState;
  position: number;
  requested_at: string;
  started_at: string | null;
  ended_at: string | null;
  spoken_secs: number | null;
  limit_secs: number | null;
  deadline: string | null;
}

/** A document as the meeting lists it: its latest version's facts (docs/documents.md). */
export interface Doc {
  id: string;
  meeting_id: string;
  agenda_item_id: string | null;
  title: string;
  position: number;
  /** The latest version (1 for the first upload). */
  version: number;
  pages: number;
  bytes: number;
  sha256: string;
  /** `minutes` / `conclusions`: the finalised record (contract v2); absent or `document` otherwise. */
  kind?: 'document' | 'minutes' | 'conclusions';
  created_at: string;
  updated_at: string;
}

/** One signature of a document version, as the server verified it (contract v2 "Signatures"). */
export interface DocSignature {
  /** The signature field's name (`/T`): ThuKy, ChuToa, DauCoQuan for the record's blocks. */
  field: string;
  signer: { common_name: string | null; serial: string; issuer: string | null };
  /** RFC 3339; the signing time the signature states (null when it states none). */
  signed_at: string | null;
  sub_filter: string;
  /** The CMS signature and the digest of the signed bytes hold. */
  valid: boolean;
  /** The signer's chain reaches a trust anchor the server's admin configured. */
  trusted: boolean;
  covers_whole_document: boolean;
  /** Bytes were appended after this signature (normal for all but the last of several). */
  modified_after: boolean;
}

export type PollState = 'draft' | 'open' | 'closed';
export type Majority = 'simple' | 'absolute' | 'absolute_all' | 'two_thirds';
export const MAJORITIES: Majority[] = ['simple', 'absolute', 'absolute_all', 'two_thirds'];
export type PollResult = 'adopted' | 'rejected' | 'no_quorum';

/** A poll (contract.md "Polls", docs/polls.md); fields beyond the contract's are optional. */
export interface Poll {
  id: string;
  state: PollState;
  title?: string;
  agenda_item_id?: string | null;
  secret?: boolean;
  options?: string[];
  majority?: Majority;
  quorum?: number | null;
  /** Named polls only: a member may vote again while open; the new ballot replaces the old. */
  allow_change?: boolean;
  /** Counts per option; null (GET) or absent (`poll.tally`) for a secret poll while it is open (contract v2). */
  tally: Record<string, number> | null;
  voted: number;
  eligible: number;
  /** `absolute_all` polls: every voting participant of the meeting, present or not (contract v2). */
  members?: number;
  result: PollResult | null;
  /** Named polls, once closed: `user_id` is the member's seat, `cast_by` the substitute who voted in it. */
  ballots?: { user_id: string; choice: string; cast_by?: string; comment?: string }[];
  /** A written meeting's members who did not answer and count as agreeing, once closed: `{"agree": n}` apart from `tally`. */
  deemed?: Record<string, number>;
  opened_at?: string | null;
  closed_at?: string | null;
}

export interface MeetingDetail extends Meeting {
  agenda: AgendaItem[];
  participants: Participant[];
  documents: Doc[];
  polls: Poll[];
  speakers: Speaker[];
}

/** A durable event: from `GET …/events?after=N` or the live channel. */
export interface LiveEvent {
  seq: number;
  type: string;
  at: string;
  data: any;
}

export interface EventPage {
  events: LiveEvent[];
  last_seq: number;
}

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  user: User;
  /** Sign-ins only: kept per username and sent with later sign-ins (docs/api.md, device tokens). */
  device_token?: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  /** Extension member: why an upload was refused (`invalid_pdf`). */
  reason?: string;
}
