// The signed-in devices' logic (auth/devices.ts) over a fake server keeping the sessions the
// real one keeps, and the password form's rules and answers (auth/password.ts).
import { describe, expect, it } from 'vitest';
import { DeviceList, cleanDeviceName, relativeTime, sortDevices, type DeviceSession, type DevicesApi } from '../src/auth/devices';
import { PasswordFlow, checkPassword } from '../src/auth/password';
import { ApiError } from '../src/session';

const dev = (id: string, last: string, current = false, name = `Chrome · Linux ${id}`): DeviceSession => ({
  id,
  name,
  user_agent: 'Mozilla/5.0',
  address: '127.0.0.1',
  created_at: '2026-12-07T08:00:00Z',
  last_seen_at: last,
  current,
});

function fakeServer(initial: DeviceSession[]) {
  let sessions = [...initial];
  const sent: string[] = [];
  const api: DevicesApi = {
    list: async () => {
      sent.push('list');
      return { sessions: sessions.map((s) => ({ ...s })) };
    },
    rename: async (id, name) => {
      sent.push(`rename ${id} ${name}`);
      if (!name || name.length > 100 || name.includes('\n')) throw new ApiError(422, 'invalid_name');
      const s = sessions.find((x) => x.id === id);
      if (!s) throw new ApiError(404, 'not_found');
      s.name = name;
    },
    end: async (id) => {
      sent.push(`end ${id}`);
      if (!sessions.some((x) => x.id === id)) throw new ApiError(404, 'not_found');
      sessions = sessions.filter((x) => x.id !== id);
    },
  };
  return { api, sent, ids: () => sessions.map((s) => s.id), drop: (id: string) => (sessions = sessions.filter((x) => x.id !== id)) };
}

describe('device list helpers', () => {
  it('puts this device first, then the others from the most recently seen', () => {
    const list = [dev('a', '2026-12-07T09:00:00Z'), dev('b', '2026-12-07T10:00:00Z'), dev('me', '2026-12-07T08:00:00Z', true), dev('c', '2026-12-07T09:30:00Z')];
    expect(sortDevices(list).map((d) => d.id)).toEqual(['me', 'b', 'c', 'a']);
    // The input is left as it was.
    expect(list.map((d) => d.id)).toEqual(['a', 'b', 'me', 'c']);
  });

  it('takes names of one line with 1 to 100 characters, trimmed', () => {
    expect(cleanDeviceName('  iPad phòng họp  ')).toEqual({ name: 'iPad phòng họp' });
    expect(cleanDeviceName('   ')).toEqual({ error: 'invalid_name' });
    expect(cleanDeviceName('a\nb')).toEqual({ error: 'invalid_name' });
    // Characters, not UTF-16 units or bytes: 100 Vietnamese letters pass, 101 do not.
    expect(cleanDeviceName('ệ'.repeat(100))).toEqual({ name: 'ệ'.repeat(100) });
    expect(cleanDeviceName('ệ'.repeat(101))).toEqual({ error: 'invalid_name' });
    expect(cleanDeviceName('😀'.repeat(100))).toEqual({ name: '😀'.repeat(100) });
  });

  it('says when a device was last seen in words, in both languages', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(relativeTime('2026-12-07T09:59:40Z', now, 'en-GB')).toBe('now');
    expect(relativeTime('2026-12-07T10:00:05Z', now, 'en-GB')).toBe('now');
    expect(relativeTime('2026-12-07T09:55:00Z', now, 'en-GB')).toBe('5 minutes ago');
    expect(relativeTime('2026-12-07T07:00:00Z', now, 'en-GB')).toBe('3 hours ago');
    expect(relativeTime('2026-12-06T09:00:00Z', now, 'en-GB')).toBe('yesterday');
    expect(relativeTime('2026-12-01T09:00:00Z', now, 'en-GB')).toBe('6 days ago');
    expect(relativeTime('2026-12-07T09:55:00Z', now, 'vi-VN')).toBe('5 phút trước');
  });
});

describe('DeviceList', () => {
  it('loads the list with this device first', async () => {
    const srv = fakeServer([dev('a', '2026-12-07T09:00:00Z'), dev('me', '2026-12-07T08:00:00Z', true)]);
    const l = new DeviceList(srv.api);
    const seen: (string[] | null)[] = [];
    l.subscribe((s) => seen.push(s.sessions?.map((d) => d.id) ?? null));
    await l.load();
    expect(l.state.sessions!.map((d) => d.id)).toEqual(['me', 'a']);
    expect(l.state.loading).toBe(false);
    expect(seen).toEqual([null, ['me', 'a']]);
  });

  it('renames a device in place; a bad name is refused before the server is asked', async () => {
    const srv = fakeServer([dev('me', '2026-12-07T08:00:00Z', true), dev('a', '2026-12-07T09:00:00Z')]);
    const l = new DeviceList(srv.api);
    await l.load();
    expect(await l.rename('a', '  Máy tính bảng phòng 2 ')).toBe(true);
    expect(l.state.sessions!.find((d) => d.id === 'a')!.name).toBe('Máy tính bảng phòng 2');
    expect(l.state.rows.a).toEqual({ busy: false, error: null });
    expect(await l.rename('a', 'hai\ndòng')).toBe(false);
    expect((l.state.rows.a.error as ApiError).code).toBe('invalid_name');
    expect(srv.sent.filter((s) => s.startsWith('rename'))).toEqual(['rename a Máy tính bảng phòng 2']);
    // The name stays as the server has it.
    expect(l.state.sessions!.find((d) => d.id === 'a')!.name).toBe('Máy tính bảng phòng 2');
  });

  it('signs another device out and drops it from the list; never this one', async () => {
    const srv = fakeServer([dev('me', '2026-12-07T08:00:00Z', true), dev('a', '2026-12-07T09:00:00Z'), dev('b', '2026-12-07T07:00:00Z')]);
    const l = new DeviceList(srv.api);
    await l.load();
    await l.end('a');
    expect(srv.ids()).toEqual(['me', 'b']);
    expect(l.state.sessions!.map((d) => d.id)).toEqual(['me', 'b']);
    await l.end('me');
    expect(srv.sent).not.toContain('end me');
    expect(l.state.sessions!.map((d) => d.id)).toEqual(['me', 'b']);
  });

  it('drops a device that had ended already (404); keeps it with the error otherwise', async () => {
    const srv = fakeServer([dev('me', '2026-12-07T08:00:00Z', true), dev('a', '2026-12-07T09:00:00Z'), dev('b', '2026-12-07T07:00:00Z')]);
    const l = new DeviceList(srv.api);
    await l.load();
    srv.drop('a');
    await l.end('a');
    expect(l.state.sessions!.map((d) => d.id)).toEqual(['me', 'b']);
    srv.api.end = async () => {
      throw new TypeError('network');
    };
    await l.end('b');
    expect(l.state.sessions!.map((d) => d.id)).toEqual(['me', 'b']);
    expect(l.state.rows.b.error).toBeInstanceOf(TypeError);
    expect(l.state.rows.b.busy).toBe(false);
  });

  it('keeps the error of a list that cannot be loaded', async () => {
    const l = new DeviceList({
      list: async () => {
        throw new ApiError(500, 'internal_error');
      },
      rename: async () => undefined,
      end: async () => undefined,
    });
    await l.load();
    expect(l.state.sessions).toBeNull();
    expect((l.state.error as ApiError).code).toBe('internal_error');
  });
});

describe('password form', () => {
  const ok = { current: 'demo1234', next: 'phòng họp không giấy', repeat: 'phòng họp không giấy' };

  it('checks the fields before sending', () => {
    expect(checkPassword(ok)).toEqual({});
    expect(checkPassword({ current: '', next: '', repeat: '' })).toEqual({ current: { reason: 'required' }, next: { reason: 'required' } });
    expect(checkPassword({ ...ok, next: '1234567', repeat: '1234567' }).next).toEqual({ reason: 'short' });
    // Eight characters, even where UTF-16 counts more (or fewer bytes would be counted).
    expect(checkPassword({ ...ok, next: 'ệệệệệệệệ', repeat: 'ệệệệệệệệ' })).toEqual({});
    expect(checkPassword({ ...ok, next: '😀😀😀😀', repeat: '😀😀😀😀' }).next).toEqual({ reason: 'short' });
    expect(checkPassword({ ...ok, next: 'x'.repeat(1025), repeat: 'x'.repeat(1025) }).next).toEqual({ reason: 'long' });
    expect(checkPassword({ ...ok, next: 'demo1234', repeat: 'demo1234' }).next).toEqual({ reason: 'same' });
    expect(checkPassword({ ...ok, repeat: 'phòng họp không giây' })).toEqual({ repeat: { reason: 'mismatch' } });
  });

  it('sends nothing while a field is wrong; sends the current and the new password once right', async () => {
    const sent: [string, string][] = [];
    const f = new PasswordFlow(async (c, n) => void sent.push([c, n]));
    expect(await f.submit({ ...ok, repeat: 'khác' })).toBe(false);
    expect(sent).toEqual([]);
    expect(f.state.fields.repeat).toEqual({ reason: 'mismatch' });
    expect(await f.submit(ok)).toBe(true);
    expect(sent).toEqual([['demo1234', 'phòng họp không giấy']]);
    expect(f.state).toEqual({ busy: false, fields: {}, error: null, done: true });
  });

  it('puts a wrong current password (401 invalid_credentials) on its field, a refused new one on its', async () => {
    let answer: ApiError | null = new ApiError(401, 'invalid_credentials');
    const f = new PasswordFlow(async () => {
      if (answer) throw answer;
    });
    expect(await f.submit(ok)).toBe(false);
    expect(Object.keys(f.state.fields)).toEqual(['current']);
    expect((f.state.fields.current as { api: ApiError }).api.code).toBe('invalid_credentials');
    expect(f.state.error).toBeNull();
    expect(f.state.done).toBe(false);
    answer = new ApiError(422, 'invalid_password');
    await f.submit(ok);
    expect(Object.keys(f.state.fields)).toEqual(['next']);
    answer = new ApiError(429, 'too_many_requests', undefined, undefined, 60);
    await f.submit(ok);
    expect(f.state.fields).toEqual({});
    expect((f.state.error as ApiError).retryAfter).toBe(60);
    answer = null;
    expect(await f.submit(ok)).toBe(true);
    expect(f.state.fields).toEqual({});
  });
});
