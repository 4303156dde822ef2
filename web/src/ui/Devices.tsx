// The account page's other two sections: "Thiết bị đã đăng nhập" (auth/devices.ts: the list,
// renaming a device in place, signing another one out after a confirmation) and "Đổi mật khẩu"
// (auth/password.ts: the form, its field errors, and the other devices signed out after it).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { errorText, session, useLocale, useNow } from '../app';
import { t, tag, fmtDateTime, type Key } from '../i18n';
import { ApiError } from '../session';
import { DeviceList, MAX_DEVICE_NAME, relativeTime, type DeviceSession, type DevicesApi, type DevicesState } from '../auth/devices';
import { MAX_PASSWORD, MIN_PASSWORD, PasswordFlow, type FieldError, type PasswordState } from '../auth/password';
import { ConfirmButton } from './bits';

const devicesApi: DevicesApi = {
  list: () => session.request('GET', '/me/sessions'),
  rename: (id, name) => session.request('PATCH', `/me/sessions/${encodeURIComponent(id)}`, { name }),
  end: (id) => session.request('DELETE', `/me/sessions/${encodeURIComponent(id)}`),
};

function problem(e: unknown): string {
  if (e instanceof ApiError && e.status === 429) return t('mfa.wait', { n: e.retryAfter ?? 30 });
  return errorText(e);
}

export function Devices({ list }: { list: DeviceList }) {
  useLocale();
  const [state, setState] = useState<DevicesState>(list.state);
  useEffect(() => list.subscribe(setState), [list]);
  useEffect(() => void list.load(), [list]);
  // Relative times ("5 phút trước") move on while the page stays open.
  const now = useNow(30_000);
  return (
    <section class="card panel devices" aria-labelledby="devices-h" data-testid="devices">
      <h2 id="devices-h">{t('dev.title')}</h2>
      <p class="muted">{t('dev.intro')}</p>
      {!!state.error && (
        <p class="error" role="alert">
          {problem(state.error)}
        </p>
      )}
      {!state.sessions && !state.error && <p class="muted">{t('common.loading')}</p>}
      {state.sessions && (
        <ul class="device-list">
          {state.sessions.map((d) => (
            <Device key={d.id} d={d} list={list} row={state.rows[d.id]} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}

function Device({ d, list, row, now }: { d: DeviceSession; list: DeviceList; row: DevicesState['rows'][string] | undefined; now: number }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(d.name);
  const busy = !!row?.busy;
  async function save(e: Event) {
    e.preventDefault();
    if (await list.rename(d.id, name)) setEditing(false);
  }
  return (
    <li class={`device${d.current ? ' current' : ''}`} data-session={d.id} data-current={d.current ? 'true' : undefined}>
      {editing ? (
        <form class="inline-form device-rename" onSubmit={save}>
          <label class="field">
            <span>{t('dev.nameLabel')}</span>
            <input name="device_name" maxLength={MAX_DEVICE_NAME} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" class="btn primary" disabled={busy}>
            {t('dev.save')}
          </button>
          <button
            type="button"
            class="btn"
            onClick={() => {
              setName(d.name);
              setEditing(false);
            }}
          >
            {t('common.cancel')}
          </button>
        </form>
      ) : (
        <div class="device-head">
          <strong class="device-name">{d.name}</strong>
          {d.current && <span class="badge">{t('dev.current')}</span>}
        </div>
      )}
      <p class="muted small device-meta">
        {t('dev.lastSeen')}{' '}
        <time dateTime={d.last_seen_at} title={fmtDateTime(d.last_seen_at)}>
          {relativeTime(d.last_seen_at, now, tag())}
        </time>
        {d.address && (
          <>
            {' · '}
            {t('dev.address')} {d.address}
          </>
        )}
        {' · '}
        {t('dev.since', { at: fmtDateTime(d.created_at) })}
      </p>
      {!editing && (
        <div class="actions">
          <button
            type="button"
            class="btn small"
            aria-label={t('dev.renameLabel', { name: d.name })}
            onClick={() => {
              setName(d.name);
              setEditing(true);
            }}
          >
            {t('dev.rename')}
          </button>
          {!d.current && (
            <ConfirmButton
              class="btn small danger-outline"
              label={t('dev.end')}
              confirm={t('dev.endConfirm', { name: d.name })}
              disabled={busy}
              onConfirm={() => void list.end(d.id)}
            />
          )}
        </div>
      )}
      {!!row?.error && (
        <p class="error small" role="alert">
          {problem(row.error)}
        </p>
      )}
    </li>
  );
}

/** The account page's device list, made once per page. */
export function useDeviceList(): DeviceList {
  return useMemo(() => new DeviceList(devicesApi), []);
}

function fieldText(f: FieldError | undefined): string | null {
  if (!f) return null;
  if ('api' in f) return f.api.code === 'invalid_credentials' ? t('pw.err.wrongCurrent') : errorText(f.api);
  return t(`pw.err.${f.reason}` as Key, { n: f.reason === 'long' ? MAX_PASSWORD : MIN_PASSWORD });
}

function PwField(p: { name: string; label: string; value: string; onInput: (v: string) => void; error: FieldError | undefined; hint?: string; autocomplete: string }) {
  const err = fieldText(p.error);
  const id = `pw-${p.name}`;
  const described = [p.hint ? `${id}-hint` : '', err ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  return (
    // The hint and the error are outside the label: the field's name stays the label alone.
    <div class="field">
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type="password"
        autocomplete={p.autocomplete}
        value={p.value}
        aria-invalid={err ? 'true' : undefined}
        aria-describedby={described}
        onInput={(e) => p.onInput(e.currentTarget.value)}
      />
      {p.hint && (
        <small id={`${id}-hint`} class="muted">
          {p.hint}
        </small>
      )}
      {err && (
        <small id={`${id}-err`} class="error" role="alert" data-testid={`${id}-error`}>
          {err}
        </small>
      )}
    </div>
  );
}

export function ChangePassword({ onChanged }: { onChanged: () => void }) {
  useLocale();
  const flow = useMemo(() => new PasswordFlow((current_password, new_password) => session.request('POST', '/me/password', { current_password, new_password })), []);
  const [state, setState] = useState<PasswordState>(flow.state);
  useEffect(() => flow.subscribe(setState), [flow]);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  async function submit(e: Event) {
    e.preventDefault();
    if (await flow.submit({ current, next, repeat })) {
      setCurrent('');
      setNext('');
      setRepeat('');
      onChanged();
    } else if (flow.state.fields.current && 'api' in flow.state.fields.current) {
      setCurrent('');
    }
  }
  return (
    <form class="card panel password-form" aria-labelledby="pw-h" onSubmit={submit} noValidate data-testid="password-form">
      <h2 id="pw-h">{t('pw.title')}</h2>
      <p class="muted">{t('pw.intro')}</p>
      <PwField name="current" label={t('pw.current')} value={current} onInput={setCurrent} error={state.fields.current} autocomplete="current-password" />
      <PwField
        name="next"
        label={t('pw.next')}
        value={next}
        onInput={setNext}
        error={state.fields.next}
        hint={t('pw.hint', { n: MIN_PASSWORD })}
        autocomplete="new-password"
      />
      <PwField name="repeat" label={t('pw.repeat')} value={repeat} onInput={setRepeat} error={state.fields.repeat} autocomplete="new-password" />
      {!!state.error && (
        <p class="error" role="alert">
          {problem(state.error)}
        </p>
      )}
      {state.done && (
        <p class="success" role="status" data-testid="password-changed">
          {t('pw.done')}
        </p>
      )}
      <button type="submit" class="btn primary" disabled={state.busy}>
        {t('pw.submit')}
      </button>
    </form>
  );
}
