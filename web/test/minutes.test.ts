// The minutes editor (minutes/editor.ts) against a fake server with the contract's version
// rules: saving after a pause in typing, text kept across a reload without the network,
// 409 stale_version merged per field or shown as a conflict with the user's text kept,
// live re-reads that skip the tablet's own saves, read-only once final; and who sees what.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MinutesEditor, type KeyValue } from '../src/minutes/editor';
import { FakeServer, HttpErr, MemStorage } from './minutes-fake';
import { conclusionField, fieldValue, minutesAccess, notesField, patchBody, recordDocs, type Minutes } from '../src/minutes/model';
import { applyEvent, fromDetail } from '../src/meeting/state';
import type { User } from '../src/types';
import { detail, doc, ev, participant } from './fixtures';

const patchesSent = (s: FakeServer) => s.calls.filter((c) => c.startsWith('PATCH')).length;
const getsSent = (s: FakeServer) => s.calls.filter((c) => c.startsWith('GET')).length;

let server: FakeServer;
let storage: MemStorage;
const editors: MinutesEditor[] = [];
function open(user = 'sec', store: KeyValue = storage) {
  const e = new MinutesEditor('m1', { request: (m, p, b) => server.request(m, p, b), storage: store, user, debounceMs: 800, retryMs: 1000 });
  editors.push(e);
  return e;
}

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
  storage = new MemStorage();
});
afterEach(() => {
  for (const e of editors.splice(0)) e.dispose();
  vi.useRealTimers();
});

describe('the body of a save', () => {
  it('carries only the fields that changed, items grouped', () => {
    expect(
      patchBody(4, [
        [notesField('a1'), 'n'],
        [conclusionField('a1'), 'c'],
        ['closing', 'end'],
      ]),
    ).toEqual({ version: 4, closing: 'end', items: [{ agenda_item_id: 'a1', notes: 'n', conclusion: 'c' }] });
    expect(patchBody(1, [['opening', 'x']])).toEqual({ version: 1, opening: 'x' });
  });
});

describe('saving while typing', () => {
  it('sends once after a pause in typing, with the last text, and says saving then saved', async () => {
    const e = open();
    await e.load();
    expect(e.current.status).toBe('saved');
    e.edit(notesField('a1'), 'Đồng chí');
    await vi.advanceTimersByTimeAsync(500);
    e.edit(notesField('a1'), 'Đồng chí Lê Thị Mai');
    await vi.advanceTimersByTimeAsync(500);
    e.edit(notesField('a1'), 'Đồng chí Lê Thị Mai trình bày báo cáo.');
    expect(e.current.status).toBe('saving');
    await vi.advanceTimersByTimeAsync(799);
    expect(patchesSent(server)).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.runOnlyPendingTimersAsync();
    expect(patchesSent(server)).toBe(1);
    expect(server.patches[0]).toEqual({ version: 1, items: [{ agenda_item_id: 'a1', notes: 'Đồng chí Lê Thị Mai trình bày báo cáo.' }] });
    expect(fieldValue(server.m, notesField('a1'))).toBe('Đồng chí Lê Thị Mai trình bày báo cáo.');
    expect(e.current.status).toBe('saved');
    expect(e.current.drafts.size).toBe(0);
    expect(e.current.minutes?.version).toBe(2);
  });

  it('saves every few seconds while the user types without a pause', async () => {
    const e = open();
    await e.load();
    let text = '';
    for (let i = 0; i < 40; i++) {
      text += 'chữ ';
      e.edit(notesField('a1'), text);
      await vi.advanceTimersByTimeAsync(300);
    }
    // 12 s of typing, a keystroke every 300 ms: never an 800 ms pause, yet saved along the way.
    expect(patchesSent(server)).toBeGreaterThanOrEqual(2);
    expect(patchesSent(server)).toBeLessThanOrEqual(4);
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(fieldValue(server.m, notesField('a1'))).toBe(text);
  });

  it('keeps typing that happens while a save is under way and sends it on the new version', async () => {
    const e = open();
    await e.load();
    let release!: () => void;
    const slow = server.request;
    server.request = async <T>(m: string, p: string, b?: unknown) => {
      if (m === 'PATCH' && !release) await new Promise<void>((ok) => (release = ok));
      return slow<T>(m, p, b);
    };
    e.edit('opening', 'Khai mạc');
    await vi.advanceTimersByTimeAsync(800);
    e.edit('opening', 'Khai mạc lúc 8 giờ');
    release();
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(server.patches.map((p) => [p.version, p.opening])).toEqual([
      [1, 'Khai mạc'],
      [2, 'Khai mạc lúc 8 giờ'],
    ]);
    expect(server.m.opening).toBe('Khai mạc lúc 8 giờ');
    expect(e.current.status).toBe('saved');
  });

  it('does not send a text over 20,000 characters and says why', async () => {
    const e = open();
    await e.load();
    e.edit(notesField('a2'), 'a'.repeat(20_001));
    await vi.advanceTimersByTimeAsync(2000);
    expect(patchesSent(server)).toBe(0);
    expect(e.current.drafts.get(notesField('a2'))?.error).toBe('text_too_long');
    expect(e.current.status).toBe('refused');
    // Shortened: sent.
    e.edit(notesField('a2'), 'a'.repeat(20_000));
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(patchesSent(server)).toBe(1);
    expect(e.current.status).toBe('saved');
  });
});

describe('refusals', () => {
  it('marks only the field at fault when a batch is refused, and saves the rest', async () => {
    const e = open();
    await e.load();
    server.online = false;
    e.edit(notesField('a1'), 'Ghi chép mục 1');
    e.edit(notesField('a2'), 'Ghi chép mục 2');
    await vi.advanceTimersByTimeAsync(800);
    // Item 2 is deleted from the agenda meanwhile (the server's copy no longer lists it).
    server.m = { ...server.m, items: server.m.items.filter((i) => i.agenda_item_id !== 'a2') };
    server.online = true;
    e.online();
    await vi.runOnlyPendingTimersAsync();
    expect(fieldValue(server.m, notesField('a1'))).toBe('Ghi chép mục 1');
    expect(e.current.drafts.get(notesField('a2'))).toMatchObject({ text: 'Ghi chép mục 2', error: 'invalid_agenda_item' });
    expect(e.current.drafts.has(notesField('a1'))).toBe(false);
    expect(e.current.status).toBe('refused');
  });

  it('sends one field at a time after a refused batch, so the good ones are saved', async () => {
    const e = open();
    await e.load();
    const send = server.request;
    let refusedOnce = false;
    server.request = async <T>(m: string, p: string, b?: any) => {
      if (m === 'PATCH' && b?.closing === 'bad' && !refusedOnce) {
        refusedOnce = true;
        server.calls.push('PATCH refused');
        throw new HttpErr(422, 'invalid_body');
      }
      if (m === 'PATCH' && b?.closing === 'bad') throw new HttpErr(422, 'invalid_body');
      return send<T>(m, p, b);
    };
    e.edit('opening', 'good');
    e.edit('closing', 'bad');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(server.m.opening).toBe('good');
    expect(e.current.drafts.get('closing')?.error).toBe('invalid_body');
    expect(e.current.drafts.has('opening')).toBe(false);
  });
});

describe('signed out meanwhile', () => {
  it('keeps the text unmarked and sends it once the user is back', async () => {
    const e = open();
    await e.load();
    const send = server.request;
    let signedOut = true;
    server.request = async <T>(m: string, p: string, b?: unknown) => {
      if (signedOut) throw new HttpErr(401, 'signed_out');
      return send<T>(m, p, b);
    };
    e.edit('closing', 'Bế mạc');
    await vi.advanceTimersByTimeAsync(800);
    expect(e.current.drafts.get('closing')).toEqual({ text: 'Bế mạc', base: '' });
    e.dispose();
    signedOut = false;
    const back = open();
    await back.load();
    await vi.runOnlyPendingTimersAsync();
    expect(server.m.closing).toBe('Bế mạc');
  });

  it('tries text refused earlier once more when the page is opened anew', async () => {
    const e = open();
    await e.load();
    const send = server.request;
    let refuse = true;
    server.request = async <T>(m: string, p: string, b?: unknown) => {
      if (m === 'PATCH' && refuse) throw new HttpErr(403, 'forbidden');
      return send<T>(m, p, b);
    };
    e.edit('opening', 'Khai mạc');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.drafts.get('opening')?.error).toBe('forbidden');
    e.dispose();
    refuse = false;
    const again = open();
    await again.load();
    await vi.runOnlyPendingTimersAsync();
    expect(server.m.opening).toBe('Khai mạc');
  });
});

describe('without the network', () => {
  it('keeps every keystroke on the tablet at once, across a reload, and sends it when the network is back', async () => {
    const e = open();
    await e.load();
    server.online = false;
    e.edit(conclusionField('a1'), 'Thống nhất thông qua báo cáo.');
    // Kept before the pause in typing is over: a reload now loses nothing.
    expect(storage.rows.get('ecabinet.minutes.sec.m1.drafts')).toContain('Thống nhất thông qua báo cáo.');
    await vi.advanceTimersByTimeAsync(800);
    expect(e.current.status).toBe('offline');
    e.dispose();

    // The page is reloaded while the Wi-Fi is still down.
    const again = open();
    void again.load();
    await vi.advanceTimersByTimeAsync(0);
    expect(again.current.minutes?.version).toBe(1);
    expect(again.current.fromCopy).toBe(true);
    expect(again.value(conclusionField('a1'))).toBe('Thống nhất thông qua báo cáo.');
    expect(again.current.status).toBe('offline');
    expect(again.editable).toBe(true);
    // Typing on while offline still works.
    again.edit(conclusionField('a1'), 'Thống nhất thông qua báo cáo tháng 11.');
    await vi.advanceTimersByTimeAsync(800);

    server.online = true;
    again.online();
    await vi.runOnlyPendingTimersAsync();
    expect(fieldValue(server.m, conclusionField('a1'))).toBe('Thống nhất thông qua báo cáo tháng 11.');
    expect(again.current.status).toBe('saved');
    expect(storage.rows.has('ecabinet.minutes.sec.m1.drafts')).toBe(false);
  });

  it('keeps one user’s unsent text from another user of the same tablet', async () => {
    const e = open('sec');
    await e.load();
    server.online = false;
    e.edit('closing', 'Bế mạc');
    const other = open('chair');
    expect(other.value('closing')).toBe('');
  });

  it('tries again by itself, waiting longer each time', async () => {
    const e = open();
    await e.load();
    server.online = false;
    e.edit('opening', 'x');
    await vi.advanceTimersByTimeAsync(800);
    const after1 = server.calls.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.calls.length).toBeGreaterThan(after1);
    server.online = true;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.m.opening).toBe('x');
  });
});

describe('two writers (409 stale_version)', () => {
  it('re-applies an edit of another field on the new version by itself', async () => {
    const e = open();
    await e.load();
    server.saveElsewhere({ items: [{ agenda_item_id: 'a1', conclusion: 'Kết luận của chủ tọa' }] });
    e.edit(notesField('a1'), 'Ghi chép của thư ký');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(server.patches.map((p) => p.version)).toEqual([1, 2]);
    expect(fieldValue(server.m, notesField('a1'))).toBe('Ghi chép của thư ký');
    expect(fieldValue(server.m, conclusionField('a1'))).toBe('Kết luận của chủ tọa');
    expect(e.current.status).toBe('saved');
    expect(e.value(conclusionField('a1'))).toBe('Kết luận của chủ tọa');
  });

  it('keeps the user’s text in the field when the other edit changed the same field, until the user chooses', async () => {
    const e = open();
    await e.load();
    server.saveElsewhere({ opening: 'Bản của chủ tọa' });
    e.edit('opening', 'Bản của thư ký');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.status).toBe('conflict');
    expect(e.value('opening')).toBe('Bản của thư ký');
    expect(e.current.drafts.get('opening')?.theirs).toBe('Bản của chủ tọa');
    expect(server.m.opening).toBe('Bản của chủ tọa');
    // Not sent again by itself, even later.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(patchesSent(server)).toBe(1);
    // The user keeps theirs: it goes onto the latest version.
    e.keepMine('opening');
    await vi.runOnlyPendingTimersAsync();
    expect(server.m.opening).toBe('Bản của thư ký');
    expect(e.current.status).toBe('saved');
  });

  it('takes the other text when the user says so', async () => {
    const e = open();
    await e.load();
    server.saveElsewhere({ closing: 'Theirs' });
    e.edit('closing', 'Mine');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.status).toBe('conflict');
    e.discard('closing');
    expect(e.value('closing')).toBe('Theirs');
    expect(e.current.status).toBe('saved');
    expect(server.m.closing).toBe('Theirs');
  });

  it('finds the conflict at a live re-read, before sending', async () => {
    const e = open();
    await e.load();
    e.edit('opening', 'Mine');
    server.saveElsewhere({ opening: 'Theirs' });
    e.remoteChanged({ version: server.m.version });
    await vi.advanceTimersByTimeAsync(0);
    expect(e.current.drafts.get('opening')?.theirs).toBe('Theirs');
    await vi.advanceTimersByTimeAsync(5000);
    expect(patchesSent(server)).toBe(0);
  });
});

describe('the number finalising would take', () => {
  it('stays known after a save, whose answer does not carry it, until read anew', async () => {
    const request = server.request;
    // As the server answers a PATCH: the minutes without `next_number`.
    server.request = async <T,>(m: string, p: string, b?: any) => {
      const r = await request<T>(m, p, b);
      if (m === 'PATCH') delete (r as Minutes).next_number;
      return r;
    };
    const e = open();
    await e.load();
    expect(e.current.minutes?.next_number).toBe('05/BB-UBND');
    e.edit('opening', 'Khai mạc');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(server.m.opening).toBe('Khai mạc');
    expect(e.current.minutes?.next_number).toBe('05/BB-UBND');
    // Another record took that number meanwhile: the next read says so.
    server.m = { ...server.m, next_number: '06/BB-UBND' };
    e.remoteChanged({ version: server.m.version + 1 });
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.minutes?.next_number).toBe('06/BB-UBND');
  });
});

describe('live', () => {
  it('re-reads when another tablet saved, and not for its own save', async () => {
    const e = open();
    await e.load();
    expect(getsSent(server)).toBe(1);
    server.saveElsewhere({ items: [{ agenda_item_id: 'a2', notes: 'Từ máy thư ký' }] });
    e.remoteChanged({ version: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(getsSent(server)).toBe(2);
    expect(e.value(notesField('a2'))).toBe('Từ máy thư ký');

    e.edit(conclusionField('a2'), 'Đồng ý');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.minutes?.version).toBe(3);
    // The event of our own save.
    e.remoteChanged({ version: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(getsSent(server)).toBe(2);
  });

  it('does not re-read for its own save announced while the save is under way', async () => {
    const e = open();
    await e.load();
    const send = server.request;
    server.request = async <T>(m: string, p: string, b?: unknown) => {
      const r = await send<T>(m, p, b);
      if (m === 'PATCH') e.remoteChanged({ version: (r as Minutes).version });
      return r;
    };
    e.edit('opening', 'x');
    await vi.advanceTimersByTimeAsync(800);
    await vi.runOnlyPendingTimersAsync();
    expect(getsSent(server)).toBe(1);
    expect(e.current.status).toBe('saved');
  });

  it('turns a minutes.updated event into the signal a tablet re-reads on, without text', () => {
    let v = fromDetail(detail());
    v = applyEvent(v, ev(4, 'minutes.updated', { version: 7, state: 'draft', updated_by: 'sec', items: ['a1'], opening: false, closing: false, number: null }));
    expect(v.minutes).toEqual({ version: 7, state: 'draft', updated_by: 'sec', number: null });
    expect(v.lastSeq).toBe(4);
  });
});

describe('final', () => {
  it('finalises after saving what waits, then is read only', async () => {
    const e = open();
    await e.load();
    e.edit(conclusionField('a1'), 'Thông qua');
    const r = await e.finalize();
    expect(r.number).toBe('05/BB-UBND');
    expect(fieldValue(server.m, conclusionField('a1'))).toBe('Thông qua');
    expect(e.current.minutes?.state).toBe('final');
    expect(e.current.minutes?.number).toBe('05/BB-UBND');
    expect(e.editable).toBe(false);
    e.edit(conclusionField('a1'), 'changed');
    expect(e.value(conclusionField('a1'))).toBe('Thông qua');
    expect(e.current.drafts.size).toBe(0);
    // No copy of a final record is kept on the tablet: it is a document now.
    expect(storage.rows.has('ecabinet.minutes.sec.m1.copy')).toBe(false);
  });

  it('refuses to finalise while a conflict waits, and says so from the server when the meeting is open', async () => {
    const e = open();
    await e.load();
    server.saveElsewhere({ opening: 'Theirs' });
    e.edit('opening', 'Mine');
    await expect(e.finalize()).rejects.toMatchObject({ code: 'unsaved_minutes' });
    expect(server.m.state).toBe('draft');
    e.discard('opening');
    server.closed = false;
    await expect(e.finalize()).rejects.toMatchObject({ code: 'meeting_not_closed' });
  });

  it('keeps text that could not be saved before another tablet finalised, marked, until discarded', async () => {
    const e = open();
    await e.load();
    server.online = false;
    e.edit(notesField('a1'), 'Chưa kịp lưu');
    await vi.advanceTimersByTimeAsync(800);
    server.online = true;
    server.m = { ...server.m, state: 'final', version: 5, number: '05/BB-UBND' };
    e.online();
    await vi.runOnlyPendingTimersAsync();
    expect(e.current.minutes?.state).toBe('final');
    expect(e.current.drafts.get(notesField('a1'))).toMatchObject({ text: 'Chưa kịp lưu', error: 'minutes_final' });
    e.discard(notesField('a1'));
    expect(e.current.drafts.size).toBe(0);
    expect(storage.rows.has('ecabinet.minutes.sec.m1.drafts')).toBe(false);
  });
});

describe('who sees the minutes', () => {
  const user = (id: string, role: User['role'] = 'member'): User => ({ id, username: id, display_name: id, role });
  const view = fromDetail(detail({ participants: [participant('chair', 'chair'), participant('sec', 'secretary'), participant('m1', 'member'), participant('obs', 'observer')] }));

  it('the chair and the meeting’s secretary write, managers read, others see nothing', () => {
    expect(minutesAccess(view, user('chair'))).toBe('edit');
    expect(minutesAccess(view, user('sec'))).toBe('edit');
    expect(minutesAccess(view, user('admin', 'admin'))).toBe('read');
    expect(minutesAccess(view, user('thuky-khac', 'secretary'))).toBe('read');
    expect(minutesAccess(view, user('m1'))).toBe('none');
    expect(minutesAccess(view, user('obs'))).toBe('none');
  });

  it('the record’s documents are the minutes and conclusions kinds, biên bản first', () => {
    const docs = [doc('d1', null), doc('tb', null, { kind: 'conclusions' }), doc('bb', null, { kind: 'minutes' }), doc('d2', 'a1', { kind: 'document' })];
    expect(recordDocs(docs).map((d) => d.id)).toEqual(['bb', 'tb']);
  });

  it('an editor refused reading (403) shows nothing and forgets its copy', async () => {
    storage.setItem('ecabinet.minutes.sec.m1.copy', JSON.stringify(server.m));
    server.request = async () => {
      throw new HttpErr(403, 'forbidden');
    };
    const e = open();
    expect(e.current.minutes).not.toBeNull();
    await e.load();
    expect(e.current.minutes).toBeNull();
    expect(e.current.status).toBe('unavailable');
    expect(storage.rows.has('ecabinet.minutes.sec.m1.copy')).toBe(false);
  });
});

describe('signing out', () => {
  it('forgets the copies of draft minutes the user read, not their unsent text nor others’', async () => {
    const { forgetMinutesCopies } = await import('../src/minutes/editor');
    const rows = new Map<string, string>([
      ['ecabinet.minutes.sec.m1.copy', '{}'],
      ['ecabinet.minutes.sec.m2.copy', '{}'],
      ['ecabinet.minutes.sec.m1.drafts', '[]'],
      ['ecabinet.minutes.chair.m1.copy', '{}'],
      ['ecabinet.session', '{}'],
    ]);
    const ls = {
      get length() {
        return rows.size;
      },
      key: (i: number) => [...rows.keys()][i] ?? null,
      getItem: (k: string) => rows.get(k) ?? null,
      setItem: (k: string, v: string) => void rows.set(k, v),
      removeItem: (k: string) => void rows.delete(k),
    };
    forgetMinutesCopies(ls, 'sec');
    expect([...rows.keys()].sort()).toEqual(['ecabinet.minutes.chair.m1.copy', 'ecabinet.minutes.sec.m1.drafts', 'ecabinet.session']);
  });
});
