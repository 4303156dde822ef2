// The administrators' list of accounts, with the reset of a user's second factor (a lost or
// replaced phone): `DELETE /users/{id}/mfa`, and "Đăng xuất mọi thiết bị" (a lost tablet,
// someone leaving): `DELETE /users/{id}/sessions`; each after a confirmation in place.
import { useEffect, useState } from 'preact/hooks';
import { errorText, session, useLocale } from '../app';
import { t } from '../i18n';
import type { User } from '../types';
import { ConfirmButton } from './bits';

type RowState = { busy: boolean; done: boolean; error: unknown };
type Action = 'mfa' | 'sessions';

export function Users() {
  useLocale();
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<{ e: unknown } | null>(null);
  const [rows, setRows] = useState<Record<string, RowState>>({});
  useEffect(() => {
    session
      .request<{ users: User[] }>('GET', '/users')
      .then((r) => setUsers(r.users))
      .catch((e) => setLoadError({ e }));
  }, []);
  const setRow = (key: string, r: RowState) => setRows((all) => ({ ...all, [key]: r }));
  async function act(u: User, what: Action) {
    const key = `${u.id}:${what}`;
    setRow(key, { busy: true, done: false, error: null });
    try {
      await session.request('DELETE', `/users/${encodeURIComponent(u.id)}/${what}`);
      setRow(key, { busy: false, done: true, error: null });
    } catch (e) {
      setRow(key, { busy: false, done: false, error: e });
    }
  }
  return (
    <section class="page narrow" aria-labelledby="users-h">
      <h1 id="users-h">{t('users.title')}</h1>
      {loadError && (
        <p class="error" role="alert">
          {errorText(loadError.e)}
        </p>
      )}
      {!users && !loadError && <p class="muted">{t('common.loading')}</p>}
      {users && (
        <table class="ptable users-table card">
          <thead>
            <tr>
              <th scope="col">{t('pe.name')}</th>
              <th scope="col">{t('users.username')}</th>
              <th scope="col">{t('users.role')}</th>
              <th scope="col">
                <span class="sr-only">{t('pe.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr data-user={u.username}>
                <td>{u.display_name}</td>
                <td>{u.username}</td>
                <td>{t(`role.system.${u.role}`)}</td>
                <td>
                  <div class="user-actions">
                    <UserAction
                      row={rows[`${u.id}:mfa`]}
                      label={t('users.resetMfa')}
                      confirm={t('users.resetMfaConfirm', { name: u.display_name })}
                      done={t('users.resetDone')}
                      onConfirm={() => void act(u, 'mfa')}
                    />
                    <UserAction
                      row={rows[`${u.id}:sessions`]}
                      label={t('users.endSessions')}
                      confirm={t('users.endSessionsConfirm', { name: u.display_name })}
                      done={t('users.endSessionsDone')}
                      onConfirm={() => void act(u, 'sessions')}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function UserAction(p: { row: RowState | undefined; label: string; confirm: string; done: string; onConfirm: () => void }) {
  const r = p.row;
  return (
    <div class="user-action">
      <ConfirmButton class="btn small danger-outline" label={p.label} confirm={p.confirm} disabled={r?.busy} onConfirm={p.onConfirm} />
      {r?.done && (
        <p class="success small" role="status">
          {p.done}
        </p>
      )}
      {!!r?.error && (
        <p class="error small" role="alert">
          {errorText(r.error)}
        </p>
      )}
    </div>
  );
}
