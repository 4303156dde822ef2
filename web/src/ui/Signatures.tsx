// Digital signatures (ký số) on the tablet: the badges of a document version in the lists and
// the reader, and on the record's documents the chair's and secretary's "Ký số" (how to finish
// on a PC with the USB token, whose turn it is, uploading a file signed by an outside tool) and
// the seal ("Đóng dấu") for admins and the meeting's secretary. Logic in signatures/model.ts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { session, signatureCache } from '../app';
import { t } from '../i18n';
import type { MeetingView } from '../meeting/state';
import type { MeetingHandle } from '../meeting/useMeeting';
import { SignatureCache } from '../signatures/cache';
import { blockOrder, fmtSignedAt, maySeal, myBlock, sealRequest, sealTurn, signatureBadges, signKind, turnOf, type Badge, type Block, type SignKind, type Turn } from '../signatures/model';
import { uploadErrorText, uploadPdf } from '../documents/upload';
import { ApiError } from '../session';
import type { Doc, DocSignature, User } from '../types';
import { ActionError, ConfirmButton } from './bits';
import './signatures.css';

/** After a network failure, the list is asked for again this much later (or when back online). */
export const RETRY_MS = 20_000;

/**
 * The signatures of the document's version: null until known (and when they cannot be read:
 * the badges are a courtesy, their absence is no error); fetched once per version, again after
 * a network failure while shown.
 */
export function useSignatures(doc: Pick<Doc, 'id' | 'version'> | null | undefined, cache: SignatureCache = signatureCache): DocSignature[] | null {
  const key = doc ? SignatureCache.key(doc.id, doc.version) : null;
  const [got, setGot] = useState<{ key: string; list: DocSignature[] } | null>(null);
  /** Bumped to try again after a network failure. */
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!doc || !key || cache.get(doc.id, doc.version)) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      clearTimeout(timer);
      window.removeEventListener('online', again);
      if (alive) setAttempt((n) => n + 1);
    };
    cache.load(doc.id, doc.version).then(
      (list) => alive && setGot({ key, list }),
      (e) => {
        // The server refused (its answer will not change by asking again): give up quietly.
        // The network failed: again when the browser is back online, or in a while.
        if (!alive || e instanceof ApiError) return;
        window.addEventListener('online', again);
        timer = setTimeout(again, RETRY_MS);
      },
    );
    return () => {
      alive = false;
      clearTimeout(timer);
      window.removeEventListener('online', again);
    };
  }, [key, cache, attempt]);
  if (!doc) return null;
  return cache.get(doc.id, doc.version) ?? (got?.key === key ? got.list : null);
}

/** The words of one badge. */
export function badgeText(b: Badge, timeZone?: string): string {
  if (b.kind === 'modified') return t('sig.modified');
  if (b.kind === 'invalid') return t('sig.invalid');
  const name = b.name || t('sig.unknownSigner');
  return b.at ? t('sig.signed', { name, at: fmtSignedAt(b.at, timeZone) }) : t('sig.signedNoTime', { name });
}

function badgeClass(b: Badge): string {
  if (b.kind === 'signed') return b.trusted ? 'sig-ok' : 'sig-warn';
  return 'sig-bad';
}

/** One badge per signature, and "changed after signing"; nothing for an unsigned version. */
export function SignatureBadges({ doc, cache }: { doc: Pick<Doc, 'id' | 'version'>; cache?: SignatureCache }) {
  const list = useSignatures(doc, cache);
  if (!list?.length) return null;
  return (
    <ul class="sig-badges" aria-label={t('sig.list')} data-testid="sig-badges">
      {signatureBadges(list).map((b) => (
        <li
          class={`badge sig ${badgeClass(b)}`}
          data-testid="sig-badge"
          data-kind={b.kind === 'signed' && !b.trusted ? 'untrusted' : b.kind}
          title={b.kind === 'modified' ? t('sig.modifiedHint') : b.kind === 'invalid' ? t('sig.invalidOf', { name: b.name || t('sig.unknownSigner') }) : undefined}
        >
          <span aria-hidden="true">{b.kind === 'signed' ? (b.trusted ? '✓ ' : '! ') : '✗ '}</span>
          {badgeText(b)}
          {b.kind === 'signed' && !b.trusted && <span class="sig-note"> · {t('sig.untrusted')}</span>}
        </li>
      ))}
    </ul>
  );
}

const whoKey = (b: Block) => `sign.who.${b}` as const;

function TurnLine({ turn, own }: { turn: Turn; own: 'sign' | 'seal' }) {
  if (turn.state === 'yours') return own === 'sign' ? <p class="sig-turn ok">{t('sign.turn.yours')}</p> : null;
  if (turn.state === 'signed') return <p class="sig-turn ok">{own === 'sign' ? t('sign.turn.signed') : t('seal.done')}</p>;
  return (
    <p class="sig-turn warn" data-testid={own === 'seal' ? 'seal-waiting' : 'sign-waiting'}>
      {t(own === 'sign' ? 'sign.turn.waiting' : 'seal.waiting', { who: t(whoKey(turn.before)) })}
    </p>
  );
}

function OrderLine({ kind }: { kind: SignKind }) {
  if (kind === 'minutes') return <p class="muted small">{t('sign.order.minutes')}</p>;
  if (kind === 'summary') return <p class="muted small">{t('sign.order.summary')}</p>;
  if (kind === 'conclusions') return <p class="muted small">{t('sign.order.conclusions')}</p>;
  return null;
}

/**
 * Under a record document (biên bản, thông báo kết luận, a written meeting's báo cáo tổng hợp
 * ý kiến): "Ký số" for the meeting's chair and secretary (the block they sign, if the document
 * has one), the seal for admins and the meeting's secretary. Nothing for anyone else or for
 * ordinary documents.
 */
export function RecordSigning({ h, view, user, doc, cache }: { h: MeetingHandle; view: MeetingView; user: User; doc: Doc; cache?: SignatureCache }) {
  const kind = signKind(doc.kind, view.meeting);
  const block = myBlock(view, user, kind);
  const sealer = maySeal(view, user) && blockOrder(kind).includes('organization');
  const list = useSignatures(block || sealer ? doc : null, cache);
  if (!block && !sealer) return null;
  return (
    <div class="record-signing" data-testid="record-signing" data-doc={doc.id}>
      {block && <SignHelp h={h} doc={doc} kind={kind} block={block} list={list} username={user.username} />}
      {sealer && <Seal h={h} doc={doc} kind={kind} list={list} />}
    </div>
  );
}

/** "Ký số": how to finish on a PC with the token, and the upload of a file signed elsewhere. */
function SignHelp({ h, doc, kind, block, list, username }: { h: MeetingHandle; doc: Doc; kind: SignKind; block: Block; list: DocSignature[] | null; username: string }) {
  const [open, setOpen] = useState(false);
  const panelId = `sign-help-${doc.id}`;
  const turn = list ? turnOf(kind, list, block) : null;
  return (
    <div class="sign">
      <button type="button" class={`btn small ${open ? 'on' : ''}`} aria-expanded={open} aria-controls={panelId} onClick={() => setOpen(!open)} data-testid="sign-open">
        {t('sign.open')}
      </button>
      {open && (
        <div class="sign-help" id={panelId} role="region" aria-label={t('sign.title', { title: doc.title })} data-testid="sign-help">
          <p class="sign-block">{t('sign.block', { block: t(`sign.block.${block}`) })}</p>
          {turn && <TurnLine turn={turn} own="sign" />}
          <OrderLine kind={kind} />
          {/* Once the block is signed the PC steps are of no more use. */}
          {turn?.state !== 'signed' && (
            <>
              <p>{t('sign.why')}</p>
              <ol class="sign-steps" data-testid="sign-steps">
                <li>{t('sign.stepCert', { id: doc.id, block })}</li>
                <li>{t('sign.stepSign')}</li>
                <li>{t('sign.stepComplete')}</li>
              </ol>
              <p class="muted small">{t('sign.docId', { id: doc.id })}</p>
              <p>{t('sign.cli')}</p>
              <pre class="sign-cli" data-testid="sign-cli">
                <code>{signCommand(typeof location === 'undefined' ? '' : location.origin, doc.id, block, username)}</code>
              </pre>
            </>
          )}
          <p>{t('sign.outside', { version: doc.version })}</p>
          <UploadSigned h={h} doc={doc} />
        </div>
      )}
    </div>
  );
}

/** The desktop signer's command for a key in a PKCS#12 file (`ecabinet sign`: passwords asked on its standard input). */
export function signCommand(server: string, docId: string, block: Block, username: string): string {
  const q = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  return `ecabinet sign --server ${q(server)} --document ${q(docId)} --block ${block} --p12 ${t('sign.p12File')} --username ${q(username)}`;
}

/** "Tải lên bản đã ký": `POST /documents/{id}/signed` with the PDF as the body. */
function UploadSigned({ h, doc }: { h: MeetingHandle; doc: Doc }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  async function send(file: File) {
    setErr(null);
    setDone(null);
    setBusy(true);
    try {
      const d = await uploadPdf({
        url: `/api/v1/documents/${encodeURIComponent(doc.id)}/signed`,
        method: 'POST',
        file,
        getToken: () => session.token(),
        refresh: () => session.refresh(),
      });
      setDone(t('sign.uploaded', { n: d.version }));
      await h.catchUp();
    } catch (e) {
      setErr(uploadErrorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="sign-upload">
      <button type="button" class="btn" disabled={busy} onClick={() => input.current?.click()} data-testid="sign-upload">
        {t('sign.uploadSigned')}
      </button>
      <input
        ref={input}
        type="file"
        accept="application/pdf,.pdf"
        hidden
        name="signed_file"
        data-doc={doc.id}
        onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          if (f) void send(f);
          e.currentTarget.value = '';
        }}
      />
      {busy && (
        <span class="muted small" role="status">
          {t('sign.uploading')}
        </span>
      )}
      {err && (
        <p class="error small" role="alert" data-testid="sign-upload-error">
          {err}
        </p>
      )}
      {done && (
        <p class="ok small" role="status">
          {done}
        </p>
      )}
    </div>
  );
}

/** "Đóng dấu", once every block before the seal is signed; its refusal shown beside it. */
function Seal({ h, doc, kind, list }: { h: MeetingHandle; doc: Doc; kind: SignKind; list: DocSignature[] | null }) {
  const [busy, setBusy] = useState(false);
  if (!list) return null;
  const turn = sealTurn(kind, list);
  if (!turn) return null;
  const where = `seal-${doc.id}`;
  const seal = async () => {
    const r = sealRequest(doc.id);
    setBusy(true);
    try {
      await h.act(r.method, r.path, undefined, { where });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="seal" data-testid="seal">
      {turn.state === 'yours' ? (
        <ConfirmButton class="btn small" label={t('seal.button')} confirm={t('seal.confirm')} disabled={busy} onConfirm={() => void seal()} />
      ) : (
        <>
          <TurnLine turn={turn} own="seal" />
          {turn.state === 'waiting' && <OrderLine kind={kind} />}
        </>
      )}
      {busy && (
        <span class="muted small" role="status">
          {t('seal.working')}
        </span>
      )}
      <ActionError h={h} where={where} />
    </div>
  );
}
