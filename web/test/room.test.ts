// The meeting room's client rules from issue 22 that need no browser: retrying safe actions.
import { describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS, withRetry } from '../src/meeting/useMeeting';
import { ApiError } from '../src/session';

describe('retrying safe actions', () => {
  const final = (e: unknown) => e instanceof ApiError;
  it('resends an action that did not reach the server, after 1, 2 and 4 s, then gives up', async () => {
    const waits: number[] = [];
    let calls = 0;
    const send = async () => {
      calls++;
      throw new TypeError('Failed to fetch');
    };
    await expect(withRetry(send, true, final, async (ms) => void waits.push(ms))).rejects.toThrow('Failed to fetch');
    expect(calls).toBe(4);
    expect(waits).toEqual(RETRY_DELAYS_MS);
  });

  it('returns once a resend gets through', async () => {
    let calls = 0;
    const r = await withRetry(async () => (++calls < 3 ? Promise.reject(new TypeError('offline')) : 'ok'), true, final, async () => undefined);
    expect(r).toBe('ok');
    expect(calls).toBe(3);
  });

  it('never resends a refusal, nor an action that is not safe to repeat', async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new ApiError(409, 'meeting_closed', ''))), true, final, async () => undefined)).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(new TypeError('offline'))), false, final, async () => undefined)).rejects.toThrow('offline');
    expect(calls).toBe(1);
  });
});

describe('limits shown before sending', () => {
  it('counts code points of the trimmed text, as the server does', async () => {
    const { LIMITS, overLimit, textLength } = await import('../src/limits');
    expect(textLength('  Phiên họp  ')).toBe(9);
    // Decomposed Vietnamese counts each combining mark, as Rust's chars() does.
    expect(textLength('e\u0302\u0301')).toBe(3);
    expect(textLength('😀')).toBe(1);
    expect(overLimit('a'.repeat(300), LIMITS.title)).toBe(false);
    expect(overLimit('a'.repeat(301), LIMITS.title)).toBe(true);
    expect(overLimit(` ${'a'.repeat(300)} `, LIMITS.title)).toBe(false);
  });

  it('the poll form refuses a question over the title limit instead of cutting it', async () => {
    const { emptyForm, validate } = await import('../src/polls/form');
    const f = { ...emptyForm(), title: 'Thông qua '.repeat(121) };
    expect(validate(f).map((e) => e.key)).toContain('pollForm.err.titleLong');
    expect(validate({ ...f, title: 'Thông qua' }).map((e) => e.key)).not.toContain('pollForm.err.titleLong');
  });
});
