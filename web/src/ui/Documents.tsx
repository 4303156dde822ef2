// Documents in the meeting view (per agenda item, offline marks, the board book, "download all
// for offline"), the reader host (lazy PDF.js, follow the presenter, presenting) and the
// secretary's document editor (upload with progress, new version, rename/move, delete).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ComponentChildren, ComponentType } from 'preact';
import { docStore, errorText, session } from '../app';
import { fmtNumber, t } from '../i18n';
import type { MeetingHandle } from '../meeting/useMeeting';
import { canPresent, documentsOf, flatten, myParticipant, type MeetingView, isFinal } from '../meeting/state';
import { bookPath, filePath, offlineIds } from '../documents/offline';
import { titleFromFileName, uploadErrorText, uploadPdf } from '../documents/upload';
import { initialFollow, openingPage, presenterMoved, setFollowing, shouldAnnounce, userMoved, type FollowState, type PresenterPage } from '../reader/follow';
import type { ReaderProps } from '../reader/Reader';
import type { AnnotateConfig } from '../annotations/Annotator';
import type { Doc, User } from '../types';
import { ActionError, ConfirmButton } from './bits';
import { LiveRequestError } from '../live';
import { SignatureBadges } from './Signatures';

// --- the reader, loaded on first use ------------------------------------------------------

let readerModule: Promise<ComponentType<ReaderProps>> | null = null;
/** Starts loading the reader chunk (PDF.js); the same promise for every caller. */
export function loadReader(): Promise<ComponentType<ReaderProps>> {
  readerModule ??= import('../reader/Reader').then((m) => m.Reader);
  return readerModule;
}

function useReader(needed: boolean): ComponentType<ReaderProps> | null {
  const [C, setC] = useState<ComponentType<ReaderProps> | null>(null);
  useEffect(() => {
    if (!needed || C) return;
    let alive = true;
    loadReader().then((R) => alive && setC(() => R));
    return () => {
      alive = false;
    };
  }, [needed]);
  return C;
}

/** Ids of the documents whose current version is on this tablet, kept current. */
export function useOfflineIds(docs: Doc[]): Set<string> {
  const [ids, setIds] = useState<Set<string>>(new Set());
  useEffect(() => {
    let alive = true;
    const refresh = () => void docStore.keys().then((k) => alive && setIds(offlineIds(k, docs)));
    refresh();
    const off = docStore.subscribe(refresh);
    return () => {
      alive = false;
      off();
    };
  }, [docs]);
  return ids;
}

export interface Opened {
  title: string;
  path: string;
  /** The document shown (null: the board book). */
  docId: string | null;
}

/** What the meeting screen needs to open documents and follow the presenter. */
export interface ReaderHost {
  opened: Opened | null;
  open: (o: Opened, page?: number) => void;
  openDoc: (d: Doc, page?: number) => void;
  /** A tap on a document: while following, it opens at the presenter's page when he is in it. */
  openByUser: (d: Doc) => void;
  close: () => void;
  follow: FollowState;
  setFollow: (on: boolean) => void;
  presenting: boolean;
  setPresenting: (on: boolean) => void;
  mayPresent: boolean;
  element: any;
}

/**
 * `active`: the meeting view is on screen. Over the secretary console a presenter's page turn
 * is remembered but opens nothing.
 */
export function useReaderHost(h: MeetingHandle, view: MeetingView, user: User, active = true, banner: ComponentChildren = null): ReaderHost {
  const [opened, setOpened] = useState<Opened | null>(null);
  const [goto, setGoto] = useState<{ page: number; n: number } | null>(null);
  const [follow, setFollowState] = useState<FollowState>(initialFollow);
  const [presenting, setPresentingState] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const announced = useRef<PresenterPage | null>(null);
  const where = useRef<{ document_id: string | null; page: number }>({ document_id: null, page: 1 });
  const mayPresent = canPresent(view, user);
  const Reader = useReader(!!opened);

  // Kept copies of older versions and of deleted documents go (documents/offline.ts).
  const known = useRef(new Set<string>());
  useEffect(() => {
    for (const d of view.documents) known.current.add(d.id);
    void docStore.prune(view.documents, known.current);
  }, [view.documents]);

  // Warm the reader chunk in the background once the meeting is on screen.
  useEffect(() => {
    const id = setTimeout(() => void loadReader().catch(() => undefined), 1500);
    return () => clearTimeout(id);
  }, []);

  const open = (o: Opened, page = 1) => {
    setOpened(o);
    where.current = { document_id: o.docId, page };
    setGoto((g) => ({ page, n: (g?.n ?? 0) + 1 }));
  };
  const openDoc = (d: Doc, page = 1) => open({ title: d.title, path: filePath(d.id, d.version), docId: d.id }, page);
  /** Opened by the user's tap: while following, at the presenter's page when he is in it. */
  const openByUser = (d: Doc) => openDoc(d, openingPage(follow, d.id));
  const jump = (to: PresenterPage | null) => {
    if (!to) return;
    const d = view.documents.find((x) => x.id === to.document_id);
    if (!d) return;
    if (opened?.docId === d.id && opened.path === filePath(d.id, d.version)) {
      where.current = { document_id: d.id, page: to.page };
      setGoto((g) => ({ page: to.page, n: (g?.n ?? 0) + 1 }));
    } else openDoc(d, to.page);
  };

  // The presenter turned a page.
  useEffect(() => {
    if (!h.presenter || presenting) return;
    const step = presenterMoved(follow, h.presenter.page, !!opened);
    setFollowState(step.state);
    if (active || opened) jump(step.jump);
  }, [h.presenter?.n]);

  // A new version of the open document: reopen it at the same page.
  useEffect(() => {
    if (!opened?.docId) return;
    const d = view.documents.find((x) => x.id === opened.docId);
    if (!d) return setOpened(null);
    if (filePath(d.id, d.version) !== opened.path) openDoc(d, where.current.page);
  }, [view.documents]);

  const announce = (page: number) => {
    const at = { document_id: opened?.docId ?? null, page };
    if (!shouldAnnounce(presenting, announced.current, at)) return;
    announced.current = at;
    h.send({ type: 'presenter.page', document_id: at.document_id, page }).catch((e) => {
      announced.current = null;
      if (e instanceof LiveRequestError && e.code === 'forbidden') {
        setPresentingState(false);
        setNotice(t('present.forbidden'));
      } else setNotice(presentRefused(e));
    });
  };

  const onPage = (page: number, byUser: boolean) => {
    where.current = { document_id: opened?.docId ?? null, page };
    if (byUser) setFollowState((f) => userMoved(f, where.current));
    announce(page);
  };

  const setFollow = (on: boolean) => {
    const step = setFollowing(follow, on);
    setFollowState(step.state);
    if (on) setPresentingState(false);
    jump(step.jump);
  };
  const setPresenting = (on: boolean) => {
    setNotice(null);
    setPresentingState(on);
    announced.current = null;
    if (on) {
      setFollowState((f) => ({ ...f, on: false }));
      // Announce where we are now.
      if (opened?.docId) {
        const at = { document_id: opened.docId, page: where.current.page };
        announced.current = at;
        h.send({ type: 'presenter.page', ...at }).catch((e) => {
          announced.current = null;
          setNotice(e instanceof LiveRequestError && e.code === 'forbidden' ? t('present.forbidden') : presentRefused(e));
          if (e instanceof LiveRequestError && e.code === 'forbidden') setPresentingState(false);
        });
      }
    }
  };

  const tools = (
    <>
      {opened?.docId && mayPresent && (
        <button type="button" class={`btn ${presenting ? 'on' : ''}`} aria-pressed={presenting} onClick={() => setPresenting(!presenting)} data-testid="present-toggle">
          {t('present.toggle')}
        </button>
      )}
      <FollowToggle follow={follow} onChange={setFollow} />
    </>
  );
  const annotate = useAnnotateConfig(h, view, user, opened?.docId ?? null);
  const openedDoc = opened?.docId ? view.documents.find((d) => d.id === opened.docId) : undefined;
  const target = follow.target;
  const targetDoc = target && view.documents.find((d) => d.id === target.document_id);
  const noticeEl = (
    <>
      {banner}
      {notice && (
        <p class="reader-notice error" role="alert">
          {notice}
        </p>
      )}
      {presenting && (
        <p class="reader-notice ok" role="status" data-testid="presenting">
          {t('present.on')}
        </p>
      )}
      {!follow.on && !presenting && targetDoc && (
        <p class="reader-notice" role="status">
          {t('follow.presenterAt', { title: targetDoc.title, page: target!.page })}{' '}
          <button type="button" class="btn small" onClick={() => setFollow(true)}>
            {t('follow.rejoin')}
          </button>
        </p>
      )}
    </>
  );
  const element =
    opened &&
    (Reader ? (
      <Reader
        key={opened.path}
        title={opened.title}
        path={opened.path}
        store={docStore}
        goto={goto}
        onPage={onPage}
        onClose={() => {
          setOpened(null);
          setPresentingState(false);
        }}
        tools={tools}
        notice={noticeEl}
        annotate={annotate}
        badges={openedDoc && <SignatureBadges doc={openedDoc} />}
      />
    ) : (
      <div class="reader" role="dialog" aria-label={opened.title}>
        <p class="muted reader-msg">{t('common.loading')}</p>
      </div>
    ));
  return {
    opened,
    open,
    openDoc,
    openByUser,
    close: () => setOpened(null),
    follow,
    setFollow,
    presenting,
    setPresenting,
    mayPresent,
    element,
  };
}

/**
 * What the reader's annotation tools need (annotations/Annotator.tsx): observers annotate
 * privately only, and nobody shares in a closed meeting (docs/annotations.md).
 */
function useAnnotateConfig(h: MeetingHandle, view: MeetingView, user: User, docId: string | null): AnnotateConfig | undefined {
  const doc = docId ? view.documents.find((d) => d.id === docId) : undefined;
  const closed = isFinal(view.meeting.state);
  const observer = (() => {
    const p = myParticipant(view, user);
    return !!p && p.user_id === user.id && p.role === 'observer';
  })();
  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of view.participants) {
      m.set(p.user_id, p.display_name);
      if (p.substitute_id && p.substitute_name) m.set(p.substitute_id, p.substitute_name);
    }
    return m;
  }, [view.participants]);
  return useMemo(
    () =>
      doc
        ? { docId: doc.id, docVersion: doc.version, me: user.id, names, canShare: !observer && !closed, closed, subscribe: h.onAnnotation, send: h.send }
        : undefined,
    [doc?.id, doc?.version, user.id, names, observer, closed],
  );
}

/** A switch (a button with aria-checked: a whole 44 px target, unlike a checkbox). */
export function FollowToggle({ follow, onChange }: { follow: FollowState; onChange: (on: boolean) => void }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={follow.on}
      class={`btn switch ${follow.on ? 'on' : ''}`}
      title={t('follow.hint')}
      onClick={() => onChange(!follow.on)}
      data-testid="follow-toggle"
    >
      <span class="switch-knob" aria-hidden="true" />
      {t('follow.toggle')}
    </button>
  );
}

// --- in the meeting view -----------------------------------------------------------------

/** `extra`: more under a document (the record's signing controls). */
export function DocList({ docs, offline, onOpen, extra }: { docs: Doc[]; offline: Set<string>; onOpen: (d: Doc) => void; extra?: (d: Doc) => ComponentChildren }) {
  if (!docs.length) return null;
  return (
    <ul class="doc-list">
      {docs.map((d) => (
        <li class="doc" data-testid="doc" data-doc={d.id}>
          <button type="button" class="btn doc-open" onClick={() => onOpen(d)} aria-label={`${t('doc.open')}: ${d.title}`}>
            <svg class="doc-icon" viewBox="0 0 16 20" width="16" height="20" aria-hidden="true">
              <path d="M1 1h9l5 5v13H1z" fill="#fff" stroke="currentColor" stroke-width="1.5" />
              <path d="M10 1v5h5M4 10h8M4 13h8M4 16h5" fill="none" stroke="currentColor" stroke-width="1.5" />
            </svg>
            <span class="doc-title">{d.title}</span>
          </button>
          <span class="muted small doc-meta">
            {t('doc.pages', { n: d.pages })}
            {d.version > 1 && ` · ${t('doc.version', { n: d.version })}`}
          </span>
          {offline.has(d.id) && (
            <span class="badge offline-mark" data-testid="offline-mark" title={t('doc.offlineHint')}>
              ✓ {t('doc.offline')}
            </span>
          )}
          <SignatureBadges doc={d} />
          {extra?.(d)}
        </li>
      ))}
    </ul>
  );
}

/** Board book, "download all for offline" and the follow toggle, above the agenda. */
export function DocumentsBar({ view, host }: { view: MeetingView; host: ReaderHost }) {
  const [progress, setProgress] = useState<{ done: number; total: number; failed?: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const m = view.meeting;
  const offline = useOfflineIds(view.documents);
  const all = view.documents.length > 0 && view.documents.every((d) => offline.has(d.id));
  async function saveAll() {
    setErr(null);
    const failed = await docStore.saveAll(view.documents, (done, total) => setProgress({ done, total }));
    setProgress((p) => (p ? { ...p, failed } : p));
  }
  async function downloadBook() {
    setErr(null);
    try {
      const r = await docStore.load(bookPath(m.id));
      saveBytes(r.bytes, `${m.title}.pdf`);
    } catch (e) {
      setErr(errorText(e));
    }
  }
  if (!view.documents.length) return <p class="muted small">{t('doc.none')}</p>;
  return (
    <div class="docs-bar" role="group" aria-label={t('doc.title')}>
      <button type="button" class="btn" onClick={() => host.open({ title: t('book.title'), path: bookPath(m.id), docId: null })}>
        {t('book.open')}
      </button>
      <button type="button" class="btn" onClick={() => void downloadBook()}>
        {t('book.download')}
      </button>
      <button type="button" class="btn" disabled={all || (progress !== null && progress.done < progress.total)} onClick={() => void saveAll()} data-testid="save-all">
        {all ? `✓ ${t('doc.allOffline')}` : t('doc.saveAll')}
      </button>
      {progress && progress.done < progress.total && (
        <span class="muted small" role="status">
          {t('doc.saving', { done: progress.done, total: progress.total })}
        </span>
      )}
      {progress?.failed ? (
        <span class="error small" role="alert">
          {t('doc.saveFailed', { n: progress.failed })}
        </span>
      ) : null}
      <FollowToggle follow={host.follow} onChange={host.setFollow} />
      {err && (
        <span class="error small" role="alert">
          {err}
        </span>
      )}
    </div>
  );
}

/** The presenter's position when this tablet is not following, with one tap to rejoin. */
export function PresenterNotice({ view, host }: { view: MeetingView; host: ReaderHost }) {
  const target = host.follow.target;
  const d = target && view.documents.find((x) => x.id === target.document_id);
  if (!d || host.opened) return null;
  return (
    <div class="banner presenter" role="status" data-testid="presenter-notice">
      <span>{t('follow.presenterAt', { title: d.title, page: target!.page })}</span>
      <button type="button" class="btn small" onClick={() => (host.follow.on ? host.openDoc(d, target!.page) : host.setFollow(true))}>
        {host.follow.on ? t('doc.open') : t('follow.rejoin')}
      </button>
    </div>
  );
}

function saveBytes(bytes: ArrayBuffer, name: string) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- secretary console -------------------------------------------------------------------

interface Upload {
  label: string;
  fraction: number;
  abort?: () => void;
}

function useUpload(h: MeetingHandle) {
  const [up, setUp] = useState<Upload | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  async function run(label: string, url: string, method: 'POST' | 'PUT', file: File): Promise<boolean> {
    setError(null);
    setDone(null);
    setUp({ label, fraction: 0 });
    try {
      const d = await uploadPdf({
        url,
        method,
        file,
        getToken: () => session.token(),
        refresh: () => session.refresh(),
        onProgress: (fraction) => setUp((u) => (u ? { ...u, fraction } : u)),
        onAbortable: (abort) => setUp((u) => (u ? { ...u, abort } : u)),
      });
      setDone(t('upload.done', { title: d.title, pages: d.pages }));
      await h.catchUp();
      return true;
    } catch (e) {
      setError(uploadErrorText(e));
      return false;
    } finally {
      setUp(null);
    }
  }
  return { up, error, done, run };
}

export function DocumentsEditor({ h, view }: { h: MeetingHandle; view: MeetingView }) {
  const m = view.meeting;
  const closed = isFinal(m.state);
  const items = flatten(view.agenda);
  const [itemId, setItemId] = useState<string>('');
  const [title, setTitle] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const u = useUpload(h);
  // Default to the current agenda item, or the first.
  useEffect(() => {
    if (!itemId && items.length) setItemId(m.current_item_id ?? items[0].item.id);
  }, [items.length]);

  async function submit(e: Event) {
    e.preventDefault();
    if (!file) return;
    const q = new URLSearchParams({ title: title.trim() || titleFromFileName(file.name) });
    if (itemId) q.set('agenda_item_id', itemId);
    const ok = await u.run(file.name, `/api/v1/meetings/${encodeURIComponent(m.id)}/documents?${q}`, 'POST', file);
    if (ok) {
      setFile(null);
      setTitle('');
      if (fileInput.current) fileInput.current.value = '';
    }
  }

  const groups: { id: string | null; label: string }[] = [
    ...items.map((f) => ({ id: f.item.id, label: `${f.number}. ${f.item.title}` })),
    { id: null, label: t('doc.general') },
  ];
  return (
    <section class="card panel documents-editor" aria-labelledby="de-h">
      <h2 id="de-h">{t('doc.title')}</h2>
      {groups.map((g) => {
        const docs = documentsOf(view, g.id);
        if (!docs.length) return null;
        return (
          <div class="doc-group">
            <h3>{g.label}</h3>
            <ul class="doc-edit-list">
              {docs.map((d) => (
                <DocRow h={h} view={view} doc={d} closed={closed} run={u.run} />
              ))}
            </ul>
          </div>
        );
      })}
      {!view.documents.length && <p class="muted">{t('doc.none')}</p>}
      {!closed && (
        <form class="inline-form upload-form" onSubmit={submit} aria-label={t('upload.title')}>
          <label class="field grow">
            <span>{t('upload.file')}</span>
            <input
              ref={fileInput}
              name="doc_file"
              type="file"
              accept="application/pdf,.pdf"
              required
              onChange={(e) => {
                const f = e.currentTarget.files?.[0] ?? null;
                setFile(f);
                if (f && !title) setTitle(titleFromFileName(f.name));
              }}
            />
          </label>
          <label class="field grow">
            <span>{t('upload.docTitle')}</span>
            <input name="doc_title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('upload.item')}</span>
            <select name="doc_item" value={itemId} onChange={(e) => setItemId(e.currentTarget.value)}>
              {groups.map((g) => (
                <option value={g.id ?? ''}>{g.label}</option>
              ))}
            </select>
          </label>
          <button type="submit" class="btn primary" disabled={!!u.up || !file}>
            {t('upload.submit')}
          </button>
        </form>
      )}
      <UploadStatus u={u} />
      <div class="actions">
        <BookDownload meetingId={m.id} title={m.title} />
      </div>
      <p class="muted small">{t('upload.hint')}</p>
    </section>
  );
}

function UploadStatus({ u }: { u: ReturnType<typeof useUpload> }) {
  return (
    <>
      {u.up && (
        <div class="upload-progress" role="status">
          <span>{t('upload.progress', { name: u.up.label, percent: Math.round(u.up.fraction * 100) })}</span>
          <progress max={100} value={Math.round(u.up.fraction * 100)} aria-label={t('upload.progressLabel')} />
          {u.up.abort && (
            <button type="button" class="btn small" onClick={u.up.abort}>
              {t('common.cancel')}
            </button>
          )}
        </div>
      )}
      {u.error && (
        <p class="error" role="alert" data-testid="upload-error">
          {u.error}
        </p>
      )}
      {u.done && (
        <p class="ok" role="status" data-testid="upload-done">
          {u.done}
        </p>
      )}
    </>
  );
}

function BookDownload({ meetingId, title }: { meetingId: string; title: string }) {
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button
        type="button"
        class="btn"
        disabled={busy}
        onClick={async () => {
          setErr(null);
          setBusy(true);
          try {
            const r = await docStore.load(bookPath(meetingId), false);
            saveBytes(r.bytes, `${title}.pdf`);
          } catch (e) {
            setErr(errorText(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {t('book.download')}
      </button>
      {err && (
        <span class="error" role="alert">
          {err}
        </span>
      )}
    </>
  );
}

function DocRow(props: {
  h: MeetingHandle;
  view: MeetingView;
  doc: Doc;
  closed: boolean;
  run: (label: string, url: string, method: 'POST' | 'PUT', file: File) => Promise<boolean>;
}) {
  const { h, view, doc: d, closed } = props;
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(d.title);
  const [item, setItem] = useState(d.agenda_item_id ?? '');
  const replace = useRef<HTMLInputElement>(null);
  async function save(e: Event) {
    e.preventDefault();
    const body: Record<string, unknown> = { title: title.trim() };
    if ((item || null) !== d.agenda_item_id) body.agenda_item_id = item || null;
    const r = await h.act('PATCH', `/documents/${d.id}`, body, { where: `doc-${d.id}` });
    if (r) setEditing(false);
  }
  return (
    <li class="doc-edit" data-testid="doc-edit" data-doc={d.id}>
      {editing ? (
        <form class="inline-form grow" onSubmit={save}>
          <label class="field grow">
            <span>{t('upload.docTitle')}</span>
            <input name="rename_title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('upload.item')}</span>
            <select name="rename_item" value={item} onChange={(e) => setItem(e.currentTarget.value)}>
              {flatten(view.agenda).map((f) => (
                <option value={f.item.id}>
                  {f.number}. {f.item.title}
                </option>
              ))}
              <option value="">{t('doc.general')}</option>
            </select>
          </label>
          <button type="submit" class="btn primary">
            {t('common.save')}
          </button>
          <button type="button" class="btn" onClick={() => setEditing(false)}>
            {t('common.cancel')}
          </button>
        </form>
      ) : (
        <>
          <span class="grow">
            <span class="doc-title">{d.title}</span>
            <span class="muted small">
              {' '}
              · {t('doc.pages', { n: d.pages })} · {t('doc.version', { n: d.version })} · {fmtSize(d.bytes)}
            </span>
          </span>
          {!closed && (
            <span class="row-actions">
              <button
                type="button"
                class="btn small"
                onClick={() => {
                  setTitle(d.title);
                  setItem(d.agenda_item_id ?? '');
                  setEditing(true);
                }}
                aria-label={`${t('doc.rename')}: ${d.title}`}
              >
                {t('doc.rename')}
              </button>
              <button type="button" class="btn small" onClick={() => replace.current?.click()} aria-label={`${t('doc.replace')}: ${d.title}`}>
                {t('doc.replace')}
              </button>
              <input
                ref={replace}
                type="file"
                accept="application/pdf,.pdf"
                hidden
                name="replace_file"
                data-doc={d.id}
                onChange={(e) => {
                  const f = e.currentTarget.files?.[0];
                  if (f) void props.run(f.name, `/api/v1/documents/${encodeURIComponent(d.id)}/content`, 'PUT', f);
                  e.currentTarget.value = '';
                }}
              />
              <ConfirmButton
                class="btn small danger-outline"
                label={t('common.delete')}
                confirm={t('doc.deleteConfirm')}
                onConfirm={() => void h.act('DELETE', `/documents/${d.id}`, undefined, { where: `doc-${d.id}` })}
              />
            </span>
          )}
        </>
      )}
      {!editing && <SignatureBadges doc={d} />}
      <ActionError h={h} where={`doc-${d.id}`} />
    </li>
  );
}

function fmtSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${fmtNumber(Math.max(1, Math.round(bytes / 1024)))} KB`;
  return `${fmtNumber(Math.round((bytes / 1024 / 1024) * 10) / 10)} MB`;
}

/**
 * What to say when a page turn was not relayed: the server's refusal in words (an error frame's
 * code, docs/live.md), or that it could not be sent at all (no connection, no answer in time).
 */
export function presentRefused(e: unknown): string {
  if (e instanceof LiveRequestError && e.code !== 'timeout' && e.code !== 'not_connected') return errorText(e);
  return t('present.notSent');
}
