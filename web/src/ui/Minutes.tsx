// The meeting's record on the tablet (issue 15): the secretary's minutes panel beside the agenda
// (opening, per agenda item the notes and the conclusion, closing), the chair's conclusion
// field in each agenda item with the secretary's notes shown live above it, the save state,
// the preview in the reader, the .docx of the draft, finalising with the number it will take,
// and the finalised biên bản and thông báo kết luận as documents once final (for everyone).
// A meeting held in writing has the same panel for its báo cáo tổng hợp ý kiến: no agenda, so
// only the opening and closing words are written, and the words name the summary.
import { useState } from 'preact/hooks';
import { errorText, session } from '../app';
import { fmtNumber, t } from '../i18n';
import { filePath } from '../documents/offline';
import { discussedItem, flatten, type MeetingView } from '../meeting/state';
import type { MeetingHandle } from '../meeting/useMeeting';
import { ApiError, toError } from '../session';
import type { AgendaItem, Doc, User } from '../types';
import { LocalRefusal, type Draft, type EditorState, type MinutesEditor } from '../minutes/editor';
import { MINUTES_TEXT_MAX, conclusionField, fieldValue, hasField, minutesSeat, minutesTextLength, notesField, recordDocs, recordKind, recordWords, type Field, type RecordWords } from '../minutes/model';
import { useEditorState, type MinutesHandle } from '../minutes/useMinutes';
import { DocList, useOfflineIds, type ReaderHost } from './Documents';
import { RecordSigning } from './Signatures';
import './minutes.css';

interface Props {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
  host: ReaderHost;
  m: MinutesHandle;
}

/** The path of the draft rendered now (the reader opens it like a document). */
export function previewPath(meetingId: string): string {
  return `/meetings/${encodeURIComponent(meetingId)}/minutes/preview.pdf`;
}

/**
 * The panel beside the agenda: the whole minutes for the meeting's secretary (and, read only,
 * for managers), the save state and the record's actions for the chair, and the finalised
 * documents for everyone once there are any.
 */
export function MinutesPanel({ h, view, user, host, m }: Props) {
  const records = recordDocs(view.documents);
  const s = useEditorState(m.editor);
  const kind = recordKind(view.meeting);
  const words = recordWords(kind);
  if (!s || !m.editor) {
    // Members and observers: nothing until the record is final, then its documents.
    if (!records.length) return null;
    return (
      <section class="card panel minutes" aria-labelledby="minutes-h" data-testid="minutes-panel" data-record={kind}>
        <h2 id="minutes-h">{t(words.title)}</h2>
        {view.minutes?.number && <p class="minutes-number">{t('minutes.number', { number: view.minutes.number })}</p>}
        <RecordList h={h} view={view} user={user} host={host} words={words} />
      </section>
    );
  }
  const seat = minutesSeat(view, user);
  const editable = m.access === 'edit' && s.minutes?.state === 'draft';
  const final = s.minutes?.state === 'final';
  // A session's chair writes conclusions in the agenda; a written meeting has none.
  const chairHint = kind === 'minutes' && seat === 'chair' && editable;
  return (
    <section class="card panel minutes" aria-labelledby="minutes-h" data-testid="minutes-panel" data-record={kind} data-state={s.minutes?.state ?? 'loading'}>
      <div class="minutes-head">
        <h2 id="minutes-h">{t(words.title)}</h2>
        <span class={`badge ${final ? 'minutes-final' : 'minutes-draft'}`}>{final ? t('minutes.final') : t('minutes.draft')}</span>
        {!final && m.access === 'edit' && <SaveState s={s} words={words} />}
      </div>
      {s.status === 'unavailable' && (
        <p class="error" role="alert">
          {errorText(s.loadError)}
        </p>
      )}
      {!s.minutes && s.status !== 'unavailable' && <p class="muted">{s.status === 'offline' ? t(words.notLoaded) : t('common.loading')}</p>}
      {s.fromCopy && s.minutes && <p class="muted small">{t('minutes.fromCopy')}</p>}
      {!final && s.minutes?.next_number && (
        <p class="minutes-number muted" data-testid="minutes-next-number">
          {t(words.nextNumber, { number: s.minutes.next_number })}
        </p>
      )}
      {final && s.minutes?.number && (
        <p class="minutes-number" data-testid="minutes-number">
          {t('minutes.number', { number: s.minutes.number })}
        </p>
      )}
      {final && <RecordList h={h} view={view} user={user} host={host} words={words} minutesId={s.minutes?.minutes_document_id} conclusionsId={s.minutes?.conclusions_document_id} />}
      {s.minutes && <Actions h={h} view={view} host={host} m={m} editor={m.editor} s={s} words={words} />}
      {s.minutes && chairHint && <p class="muted small">{t('minutes.chairHint')}</p>}
      {s.minutes && !chairHint && <MinutesBody view={view} editor={m.editor} s={s} editable={editable} />}
      <Leftovers editor={m.editor} s={s} words={words} />
    </section>
  );
}

/** The secretary's notes and the chair's conclusion of one agenda item, on the chair's tablet. */
export function ItemMinutes({ item, view, user, m }: { item: AgendaItem; view: MeetingView; user: User; m: MinutesHandle }) {
  const s = useEditorState(m.editor);
  if (!s?.minutes || !m.editor || minutesSeat(view, user) !== 'chair' || s.minutes.state !== 'draft') return null;
  const notes = fieldValue(s.minutes, notesField(item.id));
  return (
    <div class="item-minutes" data-testid="item-minutes" data-item={item.id}>
      <p class="item-notes-label muted small">{t('minutes.secretaryNotes')}</p>
      <p class={`item-notes ${notes ? '' : 'muted'}`} data-testid="item-notes">
        {notes || t('minutes.noNotes')}
      </p>
      <MinutesField editor={m.editor} s={s} f={conclusionField(item.id)} label={t('minutes.conclusion')} name={t('minutes.conclusionOf', { title: item.title })} editable rows={3} />
      {/* The panel with the save state may be far from here (one column): said under the field too. */}
      {s.drafts.has(conclusionField(item.id)) && (s.status === 'saving' || s.status === 'offline') && (
        <p class={`save-state small ${s.status === 'offline' ? 'warn' : 'muted'}`} role="status">
          {t(`minutes.status.${s.status}`)}
        </p>
      )}
    </div>
  );
}

function MinutesBody({ view, editor, s, editable }: { view: MeetingView; editor: MinutesEditor; s: EditorState; editable: boolean }) {
  const items = flatten(view.agenda);
  const current = discussedItem(view.meeting);
  return (
    <div class="minutes-body">
      <MinutesField editor={editor} s={s} f="opening" label={t('minutes.opening')} name={t('minutes.opening')} editable={editable} rows={3} />
      {items.length > 0 && (
        <ol class="minutes-items">
          {items.map(({ item, number }) => (
            <li class={`minutes-item ${item.id === current ? 'current' : ''}`} data-testid="minutes-item" data-item={item.id}>
              <h3>
                {number}. {item.title}
                {item.id === current && <span class="badge current-badge">{t('agenda.current')}</span>}
              </h3>
              <MinutesField editor={editor} s={s} f={notesField(item.id)} label={t('minutes.notes')} name={t('minutes.notesOf', { title: item.title })} editable={editable} rows={4} />
              <MinutesField editor={editor} s={s} f={conclusionField(item.id)} label={t('minutes.conclusion')} name={t('minutes.conclusionOf', { title: item.title })} editable={editable} rows={2} />
            </li>
          ))}
        </ol>
      )}
      <MinutesField editor={editor} s={s} f="closing" label={t('minutes.closing')} name={t('minutes.closing')} editable={editable} rows={3} />
    </div>
  );
}

let ids = 0;

/** One text of the minutes: a textarea while editable (with its counter and its conflict), else the text. */
function MinutesField(p: { editor: MinutesEditor; s: EditorState; f: Field; label: string; name: string; editable: boolean; rows: number }) {
  const [id] = useState(() => `minutes-field-${++ids}`);
  const draft = p.s.drafts.get(p.f);
  const value = draft?.text ?? fieldValue(p.s.minutes, p.f);
  if (!p.editable)
    return (
      <div class="minutes-read">
        <span class="minutes-label">{p.label}</span>
        <p class={value ? 'minutes-text' : 'muted'} data-field={p.f}>
          {value || t('minutes.empty')}
        </p>
      </div>
    );
  const n = minutesTextLength(value);
  const over = n > MINUTES_TEXT_MAX;
  return (
    <div class={`field minutes-field ${draft?.theirs !== undefined ? 'conflicted' : ''}`}>
      <label for={id}>{p.label}</label>
      <textarea
        id={id}
        rows={p.rows}
        value={value}
        aria-label={p.name}
        aria-invalid={over || !!draft?.error ? true : undefined}
        aria-describedby={n > MINUTES_TEXT_MAX * 0.9 ? `${id}-n` : undefined}
        data-field={p.f}
        onInput={(e) => p.editor.edit(p.f, (e.currentTarget as HTMLTextAreaElement).value)}
      />
      {/* The limit is far from what a meeting's notes need: counted only near it. */}
      {n > MINUTES_TEXT_MAX * 0.9 && (
        <span id={`${id}-n`} class={`counter small ${over ? 'error' : 'muted'}`} aria-live="polite">
          {over ? t('field.tooLong', { n, max: MINUTES_TEXT_MAX }) : `${fmtNumber(n)}/${fmtNumber(MINUTES_TEXT_MAX)}`}
        </span>
      )}
      {draft && <FieldTrouble editor={p.editor} f={p.f} d={draft} over={over} />}
    </div>
  );
}

/** A field changed elsewhere too, or refused: said under it, with the way out. */
function FieldTrouble({ editor, f, d, over }: { editor: MinutesEditor; f: Field; d: Draft; over: boolean }) {
  if (d.theirs !== undefined)
    return (
      <div class="minutes-conflict" role="alert" data-testid="minutes-conflict">
        <p>{t('minutes.conflict')}</p>
        <p class="muted small">{t('minutes.theirs')}</p>
        <blockquote class="theirs">{d.theirs || t('minutes.empty')}</blockquote>
        <div class="actions">
          <button type="button" class="btn primary" onClick={() => editor.keepMine(f)}>
            {t('minutes.keepMine')}
          </button>
          <button type="button" class="btn" onClick={() => editor.discard(f)}>
            {t('minutes.takeTheirs')}
          </button>
        </div>
      </div>
    );
  if (d.error && !(over && d.error === 'text_too_long'))
    return (
      <p class="error small" role="alert">
        {errorText(new ApiError(0, d.error))}
      </p>
    );
  return null;
}

/**
 * Text typed but not saved that has no field on screen any more: the record was finalised
 * first, or its agenda item was deleted. Shown to copy, then given up.
 */
function Leftovers({ editor, s, words }: { editor: MinutesEditor; s: EditorState; words: RecordWords }) {
  const m = s.minutes;
  if (!m) return null;
  const final = m.state === 'final';
  const left = [...s.drafts].filter(([f]) => final || !hasField(m, f));
  if (!left.length) return null;
  return (
    <div class="minutes-leftovers" role="alert" data-testid="minutes-leftovers">
      <p>{final ? t(words.leftover) : t('minutes.leftoverItem')}</p>
      {left.map(([f, d]) => (
        <div class="leftover">
          <textarea readOnly rows={3} value={d.text} aria-label={t('minutes.leftoverText')} />
          <button type="button" class="btn small" onClick={() => editor.discard(f)}>
            {t('minutes.discard')}
          </button>
        </div>
      ))}
    </div>
  );
}

function SaveState({ s, words }: { s: EditorState; words: RecordWords }) {
  const cls = s.status === 'saved' ? 'ok' : s.status === 'saving' || s.status === 'loading' ? 'muted' : 'warn';
  return (
    <span class={`save-state ${cls}`} role="status" aria-live="polite" data-testid="minutes-save" data-status={s.status}>
      {s.status === 'unavailable' ? t(words.unavailable) : t(`minutes.status.${s.status}`)}
    </span>
  );
}

/** Preview, .docx and finalise (the two last for those who may). */
function Actions({ h, view, host, m, editor, s, words }: { h: MeetingHandle; view: MeetingView; host: ReaderHost; m: MinutesHandle; editor: MinutesEditor; s: EditorState; words: RecordWords }) {
  const [busy, setBusy] = useState<null | 'preview' | 'docx' | 'finalize'>(null);
  const [asking, setAsking] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const id = view.meeting.id;
  const draft = s.minutes?.state === 'draft';
  const closed = view.meeting.state === 'closed';
  const preview = async () => {
    setErr(null);
    setBusy('preview');
    // What was just typed belongs in the preview.
    if (m.access === 'edit') await editor.flush();
    setBusy(null);
    host.open({ title: t(words.previewTitle), path: previewPath(id), docId: null });
  };
  const docx = async () => {
    setErr(null);
    setBusy('docx');
    try {
      if (m.access === 'edit') await editor.flush();
      const res = await session.fetchRaw(`/meetings/${encodeURIComponent(id)}/minutes/preview.docx`);
      if (!res.ok) throw await toError(res);
      saveBlob(await res.blob(), t(words.docxName));
    } catch (e) {
      setErr(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const ask = async () => {
    setErr(null);
    setBusy('finalize');
    // Everything saved first, and the number read afresh: it is the one the confirmation names.
    const ok = await editor.flush();
    setBusy(null);
    if (!ok) return setErr(t(editor.current.status === 'offline' ? 'err.not_connected' : 'minutes.unsaved'));
    setAsking(true);
  };
  const finalize = async () => {
    setAsking(false);
    setBusy('finalize');
    try {
      const r = await editor.finalize();
      setDone(t(words.finalized, { number: r.number }));
      // The documents arrive as events: fetch them now.
      await h.catchUp();
    } catch (e) {
      setErr(e instanceof LocalRefusal ? t(e.code === 'not_connected' ? 'err.not_connected' : 'minutes.unsaved') : errorText(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div class="minutes-actions">
      <div class="actions">
        {draft && (
          <button type="button" class="btn" disabled={busy !== null} onClick={() => void preview()} data-testid="minutes-preview">
            {t(words.preview)}
          </button>
        )}
        {draft && (
          <button type="button" class="btn" disabled={busy !== null} onClick={() => void docx()}>
            {t('minutes.docx')}
          </button>
        )}
        {draft && m.access === 'edit' && !asking && (
          <button type="button" class="btn primary" disabled={busy !== null || !closed} onClick={() => void ask()} data-testid="minutes-finalize">
            {t(words.finalize)}
          </button>
        )}
      </div>
      {draft && m.access === 'edit' && !closed && <p class="muted small">{t(words.finalizeAfterClose)}</p>}
      {busy && (
        <p class="muted small" role="status">
          {t('minutes.working')}
        </p>
      )}
      {asking && (
        <div class="confirm minutes-confirm" role="group" aria-label={t(words.finalize)} data-testid="minutes-confirm">
          <p class="confirm-q">{t(words.finalizeConfirm, { number: s.minutes?.next_number ?? '…' })}</p>
          <div class="actions">
            <button type="button" class="btn primary" onClick={() => void finalize()}>
              {t(words.finalize)}
            </button>
            <button type="button" class="btn" onClick={() => setAsking(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </div>
      )}
      {err && (
        <p class="error" role="alert">
          {err}
        </p>
      )}
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </div>
  );
}

/**
 * The finalised biên bản and thông báo kết luận (or a written meeting's summary), opened in the
 * reader like any document, with their signature badges and, for the chair, the secretary and
 * admins, signing and the seal.
 */
function RecordList(p: { h: MeetingHandle; view: MeetingView; user: User; host: ReaderHost; words: RecordWords; minutesId?: string | null; conclusionsId?: string | null }) {
  const { view, host, minutesId, conclusionsId } = p;
  const docs = recordDocs(view.documents);
  const offline = useOfflineIds(docs);
  // Known from the finalise answer before their `document.added` arrives: open them by id.
  const missing: { id: string; title: string }[] = [];
  if (minutesId && !docs.some((d) => d.id === minutesId)) missing.push({ id: minutesId, title: t(p.words.open) });
  if (conclusionsId && !docs.some((d) => d.id === conclusionsId)) missing.push({ id: conclusionsId, title: t('minutes.openConclusions') });
  return (
    <div class="record-docs" data-testid="record-docs">
      <DocList docs={docs} offline={offline} onOpen={(d: Doc) => host.openDoc(d)} extra={(d) => <RecordSigning h={p.h} view={view} user={p.user} doc={d} />} />
      {missing.map((x) => (
        <button type="button" class="btn" onClick={() => host.open({ title: x.title, path: filePath(x.id, 1), docId: null })}>
          {x.title}
        </button>
      ))}
    </div>
  );
}

function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
