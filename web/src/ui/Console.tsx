// The secretary console: meeting details, the agenda (drag and drop), participants.
import { useEffect, useRef, useState } from 'preact/hooks';
import { session, errorText } from '../app';
import { t } from '../i18n';
import type { MeetingHandle } from '../meeting/useMeeting';
import { flatten, moveId, type MeetingView, isFinal } from '../meeting/state';
import type { AgendaItem, MeetingRole, Participant, User } from '../types';
import { ActionError, ConfirmButton, fromLocalInput, TextField, toLocalInput } from './bits';
import { LIMITS, overLimit } from '../limits';
import { addPlaceholder, PLACEHOLDERS, renderWatermark } from '../meeting/watermark';
import { DocumentsEditor } from './Documents';

interface Props {
  h: MeetingHandle;
  view: MeetingView;
  user: User;
}

export function Console(props: Props) {
  return (
    <div class="console">
      <DetailsForm {...props} />
      <AgendaEditor {...props} />
      <DocumentsEditor h={props.h} view={props.view} />
      <ParticipantsEditor {...props} />
    </div>
  );
}

function DetailsForm({ h, view, user }: Props) {
  const m = view.meeting;
  const [title, setTitle] = useState(m.title);
  const [startsAt, setStartsAt] = useState(toLocalInput(m.starts_at));
  const [location, setLocation] = useState(m.location ?? '');
  const [description, setDescription] = useState(m.description ?? '');
  const [limit, setLimit] = useState(m.speech_limit_secs ? String(Math.round(m.speech_limit_secs / 60)) : '');
  const [watermark, setWatermark] = useState(m.watermark ?? '');
  const [chairVotes, setChairVotes] = useState(m.chair_votes !== false);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    // Someone else changed the meeting: show their values.
    setTitle(m.title);
    setStartsAt(toLocalInput(m.starts_at));
    setLocation(m.location ?? '');
    setDescription(m.description ?? '');
    setLimit(m.speech_limit_secs ? String(Math.round(m.speech_limit_secs / 60)) : '');
    setWatermark(m.watermark ?? '');
    setChairVotes(m.chair_votes !== false);
  }, [m.updated_at]);
  const detailsTooLong =
    overLimit(title, LIMITS.title) || overLimit(location, LIMITS.location) || overLimit(description, LIMITS.description) || overLimit(watermark, LIMITS.watermark);
  async function submit(e: Event) {
    e.preventDefault();
    setSaved(false);
    if (detailsTooLong) return;
    const mins = parseFloat(limit);
    const r = await h.act('PATCH', `/meetings/${m.id}`, {
      title: title.trim(),
      starts_at: fromLocalInput(startsAt),
      location: location.trim() || null,
      description: description.trim() || null,
      speech_limit_secs: Number.isFinite(mins) && mins > 0 ? Math.round(mins * 60) : null,
      watermark: watermark.trim() || null,
      // Only to a server that has the setting (contract v2), and only when it changed.
      ...(m.chair_votes !== undefined && chairVotes !== (m.chair_votes !== false) ? { chair_votes: chairVotes } : {}),
    }, { where: 'details' });
    if (r) setSaved(true);
  }
  const closed = isFinal(m.state);
  return (
    <form class="card panel form" onSubmit={submit} aria-labelledby="details-h">
      <h2 id="details-h">{t('console.details')}</h2>
      <fieldset disabled={closed}>
        <TextField label={t('meeting.title')} name="title" required max={LIMITS.title} value={title} onInput={setTitle} />
        <div class="row2">
          <label class="field">
            <span>{t('meeting.startsAt')}</span>
            <input name="starts_at" type="datetime-local" required value={startsAt} onInput={(e) => setStartsAt(e.currentTarget.value)} />
          </label>
          <TextField label={t('meeting.location')} name="location" max={LIMITS.location} value={location} onInput={setLocation} />
        </div>
        <TextField label={t('meeting.description')} name="description" rows={2} max={LIMITS.description} value={description} onInput={setDescription} />
        <div class="row2">
          <label class="field">
            <span>{t('meeting.speechLimit')}</span>
            <input name="speech_limit" type="number" min="1" max="60" step="1" inputMode="numeric" value={limit} onInput={(e) => setLimit(e.currentTarget.value)} />
          </label>
          <TextField label={t('meeting.watermark')} name="watermark" placeholder={t('meeting.watermarkExample')} max={LIMITS.watermark} value={watermark} onInput={setWatermark}>
            <span class="muted small">{t('meeting.watermarkHint')}</span>
            <span class="wm-picker" role="group" aria-label={t('wm.insert')}>
              {PLACEHOLDERS.map((ph) => (
                <button type="button" class="btn small" onClick={() => setWatermark(addPlaceholder(watermark, ph))}>
                  + {t(`wm.ph.${ph}`)}
                </button>
              ))}
              <button type="button" class="btn small" onClick={() => setWatermark(addPlaceholder(watermark, t('wm.confidential')))}>
                + {t('wm.confidential')}
              </button>
            </span>
            {watermark.trim() && (
              <span class="wm-preview" data-testid="watermark-preview">
                <span class="muted small">{t('wm.preview')}</span>{' '}
                <span class="wm-sample">{renderWatermark(watermark.trim(), { display_name: user.display_name, username: user.username, meeting: title.trim(), now: new Date() })}</span>
              </span>
            )}
          </TextField>
        </div>
        {m.chair_votes !== undefined && (
          <label class="field">
            <span>{t('meeting.chairVotes')}</span>
            <select name="chair_votes" value={chairVotes ? 'yes' : 'no'} onChange={(e) => setChairVotes(e.currentTarget.value === 'yes')}>
              <option value="yes">{t('meeting.chairVotes.yes')}</option>
              <option value="no">{t('meeting.chairVotes.no')}</option>
            </select>
          </label>
        )}
        <div class="actions">
          <button type="submit" class="btn primary" disabled={detailsTooLong}>
            {t('common.save')}
          </button>
          {saved && (
            <span class="ok" role="status">
              {t('common.saved')}
            </span>
          )}
        </div>
        <ActionError h={h} where="details" />
      </fieldset>
    </form>
  );
}

// --- agenda ------------------------------------------------------------------------------

interface Drag {
  id: string;
  parentId: string | null;
  startY: number;
  dy: number;
  to: number;
}

function AgendaEditor({ h, view }: Props) {
  const m = view.meeting;
  const closed = isFinal(m.state);
  const [title, setTitle] = useState('');
  const [minutes, setMinutes] = useState('');
  const [drag, setDrag] = useState<Drag | null>(null);
  const lists = useRef(new Map<string, HTMLOListElement>());

  async function add(e: Event) {
    e.preventDefault();
    // Cleared at once so the next item can be typed while this one is saved; back on failure.
    const [t0, m0] = [title, minutes];
    setTitle('');
    setMinutes('');
    const mins = parseInt(m0, 10);
    const r = await h.act('POST', `/meetings/${m.id}/agenda`, {
      title: t0.trim(),
      duration_minutes: Number.isFinite(mins) && mins > 0 ? mins : undefined,
    }, { where: 'agenda-add' });
    if (!r) {
      setTitle(t0);
      setMinutes(m0);
    }
  }

  const order = (ids: string[]) =>
    void h.act('PUT', `/meetings/${m.id}/agenda/order`, { item_ids: ids }, { where: 'agenda-order' });

  /** Where the dragged row would land among its siblings, from the pointer's y. */
  function dropIndex(parentKey: string, id: string, y: number): number {
    const list = lists.current.get(parentKey);
    if (!list) return 0;
    const rows = Array.from(list.children).filter((el) => (el as HTMLElement).dataset.id !== id) as HTMLElement[];
    let i = 0;
    for (const r of rows) {
      const b = r.getBoundingClientRect();
      if (y > b.top + b.height / 2) i++;
    }
    return i;
  }

  function startDrag(e: PointerEvent, item: AgendaItem, index: number) {
    if (closed) return;
    e.preventDefault();
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    setDrag({ id: item.id, parentId: item.parent_id, startY: e.clientY, dy: 0, to: index });
  }
  function moveDrag(e: PointerEvent) {
    if (!drag) return;
    const key = drag.parentId ?? 'root';
    setDrag({ ...drag, dy: e.clientY - drag.startY, to: dropIndex(key, drag.id, e.clientY) });
  }
  function endDrag(siblings: AgendaItem[]) {
    if (!drag) return;
    const ids = siblings.map((s) => s.id);
    const next = moveId(ids, drag.id, drag.to);
    setDrag(null);
    if (next.join() !== ids.join()) order(next);
  }

  const renderList = (items: AgendaItem[], parentId: string | null, prefix: string) => (
    <ol
      class="agenda-edit-list"
      ref={(el) => {
        if (el) lists.current.set(parentId ?? 'root', el);
      }}
    >
      {items.map((item, i) => {
        const number = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
        const dragging = drag?.id === item.id;
        return (
          <li data-id={item.id} class={`agenda-edit-li ${dragging ? 'dragging' : ''}`} style={dragging ? { transform: `translateY(${drag!.dy}px)` } : undefined}>
            <AgendaRow
              h={h}
              view={view}
              item={item}
              number={number}
              closed={closed}
              first={i === 0}
              last={i === items.length - 1}
              onMove={(delta) => order(moveId(items.map((x) => x.id), item.id, i + delta))}
              handle={
                <button
                  type="button"
                  class="btn icon handle"
                  aria-label={`${t('agenda.drag')}: ${item.title}`}
                  title={t('agenda.drag')}
                  disabled={closed}
                  onPointerDown={(e) => startDrag(e as unknown as PointerEvent, item, i)}
                  onPointerMove={(e) => moveDrag(e as unknown as PointerEvent)}
                  onPointerUp={() => endDrag(items)}
                  onPointerCancel={() => setDrag(null)}
                >
                  ⠿
                </button>
              }
            />
            {item.children?.length > 0 && renderList(item.children, item.id, number)}
          </li>
        );
      })}
    </ol>
  );

  return (
    <section class="card panel agenda-editor" aria-labelledby="agenda-edit-h">
      <h2 id="agenda-edit-h">{t('console.agenda')}</h2>
      <p class="muted small">{t('console.agendaHint')}</p>
      <ActionError h={h} where="agenda-order" />
      {view.agenda.length === 0 ? <p class="muted">{t('agenda.empty')}</p> : renderList(view.agenda, null, '')}
      {!closed && (
        <form class="inline-form" onSubmit={add} aria-label={t('agenda.add')}>
          <TextField class="grow" label={t('agenda.newItem')} name="agenda_title" required max={LIMITS.title} value={title} onInput={setTitle} />
          <label class="field narrow">
            <span>{t('agenda.duration')}</span>
            <input name="agenda_minutes" type="number" min="1" inputMode="numeric" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
          </label>
          <button type="submit" class="btn primary" disabled={overLimit(title, LIMITS.title)}>
            {t('agenda.add')}
          </button>
        </form>
      )}
      <ActionError h={h} where="agenda-add" />
    </section>
  );
}

function AgendaRow(props: {
  h: MeetingHandle;
  view: MeetingView;
  item: AgendaItem;
  number: string;
  closed: boolean;
  first: boolean;
  last: boolean;
  onMove: (delta: number) => void;
  handle: any;
}) {
  const { h, view, item, closed } = props;
  const [editing, setEditing] = useState(false);
  const [adding, setAdding] = useState(false);
  const [title, setTitle] = useState(item.title);
  const [minutes, setMinutes] = useState(item.duration_minutes ? String(item.duration_minutes) : '');
  const [presenter, setPresenter] = useState(item.presenter_id ?? '');
  const [parent, setParent] = useState(item.parent_id ?? '');
  const [subTitle, setSubTitle] = useState('');
  // Where the item may move: the top level or under any item outside its own subtree.
  const subtree = new Set(flatten([item]).map((f) => f.item.id));
  const parents = flatten(view.agenda).filter((f) => !subtree.has(f.item.id));
  const presenterName = view.participants.find((p) => p.user_id === item.presenter_id)?.display_name;

  async function save(e: Event) {
    e.preventDefault();
    if (overLimit(title, LIMITS.title)) return;
    const mins = parseInt(minutes, 10);
    const r = await h.act('PATCH', `/agenda/${item.id}`, {
      title: title.trim(),
      duration_minutes: Number.isFinite(mins) && mins > 0 ? mins : null,
      presenter_id: presenter || null,
      ...((parent || null) !== item.parent_id ? { parent_id: parent || null } : {}),
    }, { where: `agenda-${item.id}` });
    if (r) setEditing(false);
  }
  async function addSub(e: Event) {
    e.preventDefault();
    const t0 = subTitle;
    setSubTitle('');
    setAdding(false);
    const r = await h.act('POST', `/meetings/${view.meeting.id}/agenda`, { title: t0.trim(), parent_id: item.id }, { where: `agenda-${item.id}` });
    if (!r) {
      setSubTitle(t0);
      setAdding(true);
    }
  }

  return (
    <div class="agenda-edit-row" data-testid="agenda-edit-row">
      {props.handle}
      <span class="agenda-num">{props.number}.</span>
      {editing ? (
        <form class="inline-form grow" onSubmit={save}>
          <TextField class="grow" label={t('agenda.itemTitle')} name="edit_title" required max={LIMITS.title} value={title} onInput={setTitle} />
          <label class="field narrow">
            <span>{t('agenda.duration')}</span>
            <input type="number" min="1" value={minutes} onInput={(e) => setMinutes(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>{t('agenda.presenter')}</span>
            <select value={presenter} onChange={(e) => setPresenter(e.currentTarget.value)}>
              <option value="">{t('common.none')}</option>
              {view.participants.map((p) => (
                <option value={p.user_id}>{p.display_name}</option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('agenda.parent')}</span>
            <select name="edit_parent" value={parent} onChange={(e) => setParent(e.currentTarget.value)}>
              <option value="">{t('agenda.topLevel')}</option>
              {parents.map((f) => (
                <option value={f.item.id}>
                  {f.number}. {f.item.title}
                </option>
              ))}
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
          <span class="agenda-body grow">
            <span class="agenda-title">{item.title}</span>
            <span class="agenda-meta">
              {item.duration_minutes != null && <span>{t('agenda.minutes', { n: item.duration_minutes })}</span>}
              {presenterName && (
                <span>
                  {t('agenda.presenter')}: {presenterName}
                </span>
              )}
            </span>
          </span>
          {!closed && (
            <span class="row-actions">
              <button type="button" class="btn small icon" disabled={props.first} onClick={() => props.onMove(-1)} aria-label={`${t('common.up')}: ${item.title}`}>
                ↑
              </button>
              <button type="button" class="btn small icon" disabled={props.last} onClick={() => props.onMove(1)} aria-label={`${t('common.down')}: ${item.title}`}>
                ↓
              </button>
              <button
                type="button"
                class="btn small"
                onClick={() => {
                  setTitle(item.title);
                  setMinutes(item.duration_minutes ? String(item.duration_minutes) : '');
                  setPresenter(item.presenter_id ?? '');
                  setParent(item.parent_id ?? '');
                  setEditing(true);
                }}
              >
                {t('common.edit')}
              </button>
              <button type="button" class="btn small" onClick={() => setAdding(!adding)} aria-expanded={adding}>
                {t('agenda.addSub')}
              </button>
              <ConfirmButton
                class="btn small danger-outline"
                label={t('common.delete')}
                confirm={t('agenda.deleteConfirm')}
                onConfirm={() => void h.act('DELETE', `/agenda/${item.id}?cascade=true`, undefined, { where: `agenda-${item.id}` })}
              />
            </span>
          )}
        </>
      )}
      {adding && !editing && (
        <form class="inline-form sub-form" onSubmit={addSub}>
          <TextField class="grow" label={t('agenda.subTitle')} name="sub_title" required max={LIMITS.title} value={subTitle} onInput={setSubTitle} />
          <button type="submit" class="btn primary" disabled={overLimit(subTitle, LIMITS.title)}>
            {t('agenda.add')}
          </button>
        </form>
      )}
      <ActionError h={h} where={`agenda-${item.id}`} />
    </div>
  );
}

// --- participants ------------------------------------------------------------------------

const ROLES: MeetingRole[] = ['chair', 'secretary', 'member', 'observer'];

export function ParticipantsEditor({ h, view }: Props) {
  const m = view.meeting;
  const closed = isFinal(m.state);
  const [users, setUsers] = useState<User[] | null>(null);
  const [usersError, setUsersError] = useState<{ e: unknown } | null>(null);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<MeetingRole>('member');
  const [substitute, setSubstitute] = useState('');
  useEffect(() => {
    session
      .request<{ users: User[] }>('GET', '/users')
      .then((r) => setUsers(r.users))
      .catch((e) => setUsersError({ e }));
  }, []);
  const taken = new Set(view.participants.flatMap((p) => [p.user_id, p.substitute_id ?? '']));
  const free = (users ?? []).filter((u) => !taken.has(u.id));
  const subCandidates = (except: string) => free.filter((u) => u.id !== except);

  async function add(e: Event) {
    e.preventDefault();
    if (!userId) return;
    const [u0, s0] = [userId, substitute];
    setUserId('');
    setSubstitute('');
    const r = await h.act('POST', `/meetings/${m.id}/participants`, {
      user_id: u0,
      role,
      substitute_id: role === 'member' && s0 ? s0 : undefined,
    }, { where: 'pe-add' });
    if (!r) {
      setUserId(u0);
      setSubstitute(s0);
    }
  }
  const patch = (p: Participant, body: object) => void h.act('PATCH', `/meetings/${m.id}/participants/${p.user_id}`, body, { where: `pe-${p.user_id}` });

  return (
    <section class="card panel participants-editor" aria-labelledby="pe-h">
      <h2 id="pe-h">{t('console.participants')}</h2>
      {usersError && <p class="error">{errorText(usersError.e)}</p>}
      <table class="ptable">
        <thead>
          <tr>
            <th scope="col">{t('pe.name')}</th>
            <th scope="col">{t('pe.role')}</th>
            <th scope="col">{t('pe.substitute')}</th>
            <th scope="col">
              <span class="sr-only">{t('pe.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {view.participants.map((p) => (
            <tr data-user={p.username}>
              <td>{p.display_name}</td>
              <td>
                <select
                  aria-label={`${t('pe.role')}: ${p.display_name}`}
                  value={p.role}
                  disabled={closed}
                  onChange={(e) => patch(p, { role: e.currentTarget.value, ...(e.currentTarget.value !== 'member' ? { substitute_id: null } : {}) })}
                >
                  {ROLES.map((r) => (
                    <option value={r}>{t(`role.meeting.${r}`)}</option>
                  ))}
                </select>
              </td>
              <td>
                {p.role === 'member' ? (
                  <select
                    aria-label={`${t('pe.substitute')}: ${p.display_name}`}
                    value={p.substitute_id ?? ''}
                    disabled={closed}
                    onChange={(e) => patch(p, { substitute_id: e.currentTarget.value || null })}
                  >
                    <option value="">{t('common.none')}</option>
                    {p.substitute_id && <option value={p.substitute_id}>{p.substitute_name}</option>}
                    {subCandidates(p.user_id).map((u) => (
                      <option value={u.id}>{u.display_name}</option>
                    ))}
                  </select>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td>
                {!closed && (
                  <ConfirmButton
                    class="btn small danger-outline"
                    label={t('pe.remove')}
                    confirm={t('pe.removeConfirm')}
                    onConfirm={() => void h.act('DELETE', `/meetings/${m.id}/participants/${p.user_id}`, undefined, { where: `pe-${p.user_id}` })}
                  />
                )}
                <ActionError h={h} where={`pe-${p.user_id}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!closed && users && (
        <form class="inline-form" onSubmit={add} aria-label={t('pe.invite')}>
          <label class="field grow">
            <span>{t('pe.user')}</span>
            <select name="invite_user" required value={userId} onChange={(e) => setUserId(e.currentTarget.value)}>
              <option value="">{t('pe.choose')}</option>
              {free.map((u) => (
                <option value={u.id}>
                  {u.display_name} ({u.username})
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('pe.role')}</span>
            <select name="invite_role" value={role} onChange={(e) => setRole(e.currentTarget.value as MeetingRole)}>
              {ROLES.map((r) => (
                <option value={r}>{t(`role.meeting.${r}`)}</option>
              ))}
            </select>
          </label>
          {role === 'member' && (
            <label class="field">
              <span>{t('pe.substitute')}</span>
              <select name="invite_substitute" value={substitute} onChange={(e) => setSubstitute(e.currentTarget.value)}>
                <option value="">{t('common.none')}</option>
                {subCandidates(userId).map((u) => (
                  <option value={u.id}>{u.display_name}</option>
                ))}
              </select>
            </label>
          )}
          <button type="submit" class="btn primary">
            {t('pe.invite')}
          </button>
        </form>
      )}
      <ActionError h={h} where="pe-add" />
    </section>
  );
}
