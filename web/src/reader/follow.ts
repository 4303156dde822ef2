// "Follow the presenter" (theo dõi trình chiếu) as plain state: the last page the presenter
// announced, and whether this tablet follows it. On by default; turning pages yourself leaves
// it, one tap rejoins. Presenting is the other side: which page changes to announce.

/** A `presenter.page` ephemeral event's data (docs/live.md). */
export interface PresenterPage {
  document_id: string;
  page: number;
  user_id?: string;
  /** The page found on joining the room (sent once after `welcome`), not a page turn. */
  joined?: boolean;
}

export interface FollowState {
  on: boolean;
  /** The presenter's latest page, if any was announced since this screen opened. */
  target: PresenterPage | null;
}

export const initialFollow: FollowState = { on: true, target: null };

/** Where the reader should go now, if anywhere. */
export interface Step {
  state: FollowState;
  jump: PresenterPage | null;
}

function valid(msg: any): msg is PresenterPage {
  return !!msg && typeof msg.document_id === 'string' && Number.isInteger(msg.page) && msg.page >= 1;
}

/** A `presenter.page` arrived: remember it; jump there when following. */
export function presenterMoved(s: FollowState, msg: unknown, readerOpen = false): Step {
  if (!valid(msg)) return { state: s, jump: null };
  const target: PresenterPage = { document_id: msg.document_id, page: msg.page, user_id: msg.user_id };
  // The page found on joining is announced, not jumped to, unless the reader is open already
  // (a tablet back from a dropped connection keeps following): the user may be doing
  // something else on the meeting screen.
  const jump = s.on && (!msg.joined || readerOpen);
  return { state: { ...s, target }, jump: jump ? target : null };
}

/**
 * The reader turned to `where` by the user's own hand. Following stops when that is not where
 * the presenter is (a page the presenter is on anyway keeps it on).
 */
export function userMoved(s: FollowState, where: { document_id: string | null; page: number }): FollowState {
  if (!s.on || !s.target) return s;
  if (where.document_id === s.target.document_id && where.page === s.target.page) return s;
  return { ...s, on: false };
}

/** The toggle: turning it on jumps to the presenter's page when there is one. */
export function setFollowing(s: FollowState, on: boolean): Step {
  const state = { ...s, on };
  return { state, jump: on ? s.target : null };
}

/**
 * Whether a presenting tablet announces this page: only real changes (not the same page
 * twice), and only for documents (the board book has no document id).
 */
export function shouldAnnounce(
  presenting: boolean,
  last: PresenterPage | null,
  where: { document_id: string | null; page: number },
): where is PresenterPage {
  if (!presenting || !where.document_id) return false;
  return !last || last.document_id !== where.document_id || last.page !== where.page;
}

/**
 * The page a document opens at: the presenter's page when this tablet follows and the presenter
 * is in that document, else `page` (1 unless asked otherwise).
 */
export function openingPage(s: FollowState, documentId: string, page = 1): number {
  return s.on && s.target && s.target.document_id === documentId ? s.target.page : page;
}
