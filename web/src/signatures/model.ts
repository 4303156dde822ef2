// Digital signatures (ký số) as the tablet shows them: the badges a document version's signature
// list (GET /documents/{id}/signatures) gives, the record's signature blocks and whose turn it is,
// and who may seal. Plain functions over the server's answers (contract.md "Signatures", server
// docs/signatures.md); the server stays the authority on order and rights (it refuses with 409
// `signing_order` / 403 `signing_not_allowed`), this only decides what to show.
import type { Doc, DocSignature, Meeting, User } from '../types';
import { myParticipant, type MeetingView } from '../meeting/state';
import { isWritten } from '../written/logic';

/** What one badge says. */
export type Badge =
  /** A signature whose CMS and digest hold; `trusted`: its chain reaches a configured anchor. */
  | { kind: 'signed'; name: string | null; at: string | null; trusted: boolean; field: string }
  /** A signature that does not verify. */
  | { kind: 'invalid'; name: string | null; field: string }
  /** Bytes were appended after the last signature. */
  | { kind: 'modified' };

/**
 * The badges of one version, in signing order: one per signature, then "changed after signing"
 * when the LAST signature has bytes after it. An earlier signature with `modified_after` is
 * the normal state of a document signed several times (each later signature is an appended
 * revision), so only the last one is judged. An empty list gives no badge at all.
 */
export function signatureBadges(list: readonly DocSignature[]): Badge[] {
  const out: Badge[] = list.map((s) =>
    s.valid
      ? { kind: 'signed', name: s.signer?.common_name ?? null, at: s.signed_at ?? null, trusted: s.trusted, field: s.field }
      : { kind: 'invalid', name: s.signer?.common_name ?? null, field: s.field },
  );
  const last = list[list.length - 1];
  if (last?.modified_after) out.push({ kind: 'modified' });
  return out;
}

/** A signature block of the record (Nghị định 30/2020, Phụ lục I). */
export type Block = 'secretary' | 'chair' | 'organization';

/** The field names the server gives each block (a second field of a block gets a number). */
const FIELDS: [RegExp, Block][] = [
  [/^ThuKy\d*$/, 'secretary'],
  [/^ChuToa\d*$/, 'chair'],
  [/^DauCoQuan\d*$/, 'organization'],
];

/** The block a signature field belongs to; null for any other field (a file signed elsewhere). */
export function blockOfField(field: string): Block | null {
  for (const [re, b] of FIELDS) if (re.test(field)) return b;
  return null;
}

/**
 * What a document is to the signing rules: its own kind, except that the "minutes" of a
 * meeting held in writing are its báo cáo tổng hợp ý kiến, which has the chair's block only
 * (the server renders no secretary's room for it, and skips that block's turn).
 */
export type SignKind = Doc['kind'] | 'summary';

export function signKind(kind: Doc['kind'], meeting: Pick<Meeting, 'kind'>): SignKind {
  return kind === 'minutes' && isWritten(meeting) ? 'summary' : kind;
}

/** The order a record's blocks are signed in: none for ordinary documents. */
export function blockOrder(kind: SignKind): Block[] {
  if (kind === 'minutes') return ['secretary', 'chair', 'organization'];
  if (kind === 'summary') return ['chair', 'organization'];
  if (kind === 'conclusions') return ['chair', 'organization'];
  return [];
}

/** Blocks with a signature in this version (valid or not: the server counts it signed). */
export function signedBlocks(list: readonly DocSignature[]): Set<Block> {
  const out = new Set<Block>();
  for (const s of list) {
    const b = blockOfField(s.field);
    if (b) out.add(b);
  }
  return out;
}

/** The block to be signed next, or null once all are (or the document has none). */
export function nextBlock(kind: SignKind, list: readonly DocSignature[]): Block | null {
  const done = signedBlocks(list);
  return blockOrder(kind).find((b) => !done.has(b)) ?? null;
}

/** The block the user signs on this document as the meeting's chair or secretary, if any. */
export function myBlock(view: MeetingView, user: User, kind: SignKind): Block | null {
  const p = myParticipant(view, user);
  if (!p || p.user_id !== user.id) return null;
  const b: Block | null = p.role === 'chair' ? 'chair' : p.role === 'secretary' ? 'secretary' : null;
  return b && blockOrder(kind).includes(b) ? b : null;
}

export type Turn =
  /** The block is next. */
  | { state: 'yours' }
  /** Signed already. */
  | { state: 'signed' }
  /** `before` must be signed first. */
  | { state: 'waiting'; before: Block };

/** Whose turn it is, seen from `block`. */
export function turnOf(kind: SignKind, list: readonly DocSignature[], block: Block): Turn {
  const done = signedBlocks(list);
  if (done.has(block)) return { state: 'signed' };
  const order = blockOrder(kind);
  const at = order.indexOf(block);
  const before = order.slice(0, Math.max(0, at)).find((b) => !done.has(b));
  return before ? { state: 'waiting', before } : { state: 'yours' };
}

/** Admins and the meeting's own secretary seal for the organisation (docs/signatures.md). */
export function maySeal(view: MeetingView, user: User): boolean {
  if (user.role === 'admin') return true;
  return view.participants.some((p) => p.user_id === user.id && p.role === 'secretary');
}

/**
 * What the seal control shows for a record document: the button (`ready`: every block before
 * the seal is signed, the chair's last), that it is done, or which block must be signed first.
 * Null for documents without a seal block.
 */
export function sealTurn(kind: SignKind, list: readonly DocSignature[]): Turn | null {
  if (!blockOrder(kind).includes('organization')) return null;
  return turnOf(kind, list, 'organization');
}

/** The seal's request. */
export function sealRequest(docId: string): { method: 'POST'; path: string } {
  return { method: 'POST', path: `/documents/${encodeURIComponent(docId)}/seal` };
}

/** "08/12/2026 14:05": the signing time as dd/mm/yyyy HH:mm in the tablet's (or `timeZone`'s) time. */
export function fmtSignedAt(iso: string, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')}/${get('month')}/${get('year')} ${get('hour')}:${get('minute')}`;
}
