import { describe, expect, it } from 'vitest';
import { EnrolFlow, groupSecret, recoveryText, type EnrolApi } from '../src/auth/enrol';
import { ApiError } from '../src/session';
import { qrPath } from '../src/ui/Qr';

const CODES = Array.from({ length: 10 }, (_, i) => `CODE-${String(i).padStart(4, '0')}-XXXX-YYYY`);

/** A fake server keeping the state the real one keeps: nothing, pending, or on. */
function fakeServer(initial: 'none' | 'pending' | 'on' = 'none', good = '123456') {
  let state = initial;
  const sent: string[] = [];
  const learnt: boolean[] = [];
  const api: EnrolApi = {
    start: async () => {
      sent.push('start');
      if (state === 'on') throw new ApiError(409, 'mfa_already_active');
      state = 'pending';
      return { secret: 'JBSWY3DPEHPK3PXPJBSWY3DP', otpauth_uri: 'otpauth://totp/ecabinet:thuky?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=ecabinet' };
    },
    confirm: async (code) => {
      sent.push(`confirm ${code}`);
      if (state === 'on') throw new ApiError(409, 'mfa_already_active');
      if (state !== 'pending') throw new ApiError(409, 'mfa_not_pending');
      if (code !== good) throw new ApiError(422, 'invalid_code');
      state = 'on';
      return { recovery_codes: CODES };
    },
    disable: async (code) => {
      sent.push(`disable ${code}`);
      if (state !== 'on') throw new ApiError(409, 'mfa_not_active');
      if (code !== good && !CODES.includes(code)) throw new ApiError(422, 'invalid_code');
      state = 'none';
    },
    known: (on) => learnt.push(on),
  };
  return { api, sent, learnt, state: () => state };
}

describe('EnrolFlow', () => {
  it('enrols: start → secret and URI → a wrong code, retried → ten codes shown → on', async () => {
    const srv = fakeServer();
    const f = new EnrolFlow(srv.api, undefined);
    expect(f.state.step).toBe('off');
    await f.start();
    expect(f.state).toMatchObject({ step: 'pending', secret: 'JBSWY3DPEHPK3PXPJBSWY3DP' });
    expect((f.state as any).uri).toMatch(/^otpauth:\/\/totp\//);
    await f.confirm('000000');
    expect(f.state).toMatchObject({ step: 'pending', secret: 'JBSWY3DPEHPK3PXPJBSWY3DP' });
    expect((f.state as any).error.code).toBe('invalid_code');
    expect(srv.learnt).toEqual([]);
    await f.confirm('123 456');
    expect(f.state).toEqual({ step: 'codes', codes: CODES });
    expect(srv.learnt).toEqual([true]);
    f.doneWithCodes();
    expect(f.state).toMatchObject({ step: 'on', error: null });
    expect(srv.sent).toEqual(['start', 'confirm 000000', 'confirm 123456']);
  });

  it('takes 409 mfa_already_active on starting as "it is on" and offers to turn it off', async () => {
    const srv = fakeServer('on');
    const f = new EnrolFlow(srv.api, undefined);
    await f.start();
    expect(f.state.step).toBe('on');
    expect(srv.learnt).toEqual([true]);
    await f.disable('999999');
    expect(f.state.step).toBe('on');
    expect((f.state as any).error.code).toBe('invalid_code');
    await f.disable(` ${CODES[3]} `);
    expect(f.state).toMatchObject({ step: 'off', error: null });
    expect(srv.learnt).toEqual([true, false]);
    expect(srv.state()).toBe('none');
  });

  it('starts from what the session learnt', () => {
    expect(new EnrolFlow(fakeServer().api, true).state.step).toBe('on');
    expect(new EnrolFlow(fakeServer().api, false).state.step).toBe('off');
  });

  it('goes back to the start when the enrolment is no longer pending', async () => {
    const srv = fakeServer();
    const f = new EnrolFlow(srv.api, undefined);
    await f.start();
    // Another tablet of the same user finished it and turned it off again in between.
    await srv.api.confirm('123456');
    await srv.api.disable('123456');
    await f.confirm('123456');
    expect(f.state.step).toBe('off');
    expect((f.state as any).error.code).toBe('mfa_not_pending');
  });

  it('turning off something already off ends at "off"', async () => {
    const srv = fakeServer('none');
    const f = new EnrolFlow(srv.api, true);
    await f.disable('123456');
    expect(f.state.step).toBe('off');
    expect(srv.learnt).toEqual([false]);
  });

  it('ignores a second press while busy', async () => {
    const srv = fakeServer();
    const f = new EnrolFlow(srv.api, undefined);
    const a = f.start();
    const b = f.start();
    await Promise.all([a, b]);
    expect(srv.sent).toEqual(['start']);
  });
});

describe('enrolment helpers', () => {
  it('groups the secret by four', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('ABCDEF')).toBe('ABCD EF');
  });

  it('writes the recovery file with every code, numbered', () => {
    const text = recoveryText(CODES, 'Heading');
    expect(text.startsWith('Heading\n\n')).toBe(true);
    for (const c of CODES) expect(text).toContain(c);
    expect(text.trim().split('\n')).toHaveLength(12);
    expect(text).toContain('10. CODE-0009');
  });

  it('draws a QR symbol with its three finder patterns', () => {
    const { size, d } = qrPath('otpauth://totp/ecabinet:thuky?secret=JBSWY3DPEHPK3PXPJBSWY3DP&issuer=ecabinet');
    // Version 1 is 21 modules, each version adds 4.
    expect((size - 21) % 4).toBe(0);
    expect(size).toBeGreaterThan(21);
    const dark = new Set(Array.from(d.matchAll(/M(\d+) (\d+)/g), (m) => `${m[1]},${m[2]}`));
    const finder = (x0: number, y0: number) => {
      for (let y = 0; y < 7; y++)
        for (let x = 0; x < 7; x++) {
          const ring = x === 0 || y === 0 || x === 6 || y === 6;
          const core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
          expect(dark.has(`${x0 + x},${y0 + y}`), `${x0 + x},${y0 + y}`).toBe(ring || core);
        }
    };
    finder(0, 0);
    finder(size - 7, 0);
    finder(0, size - 7);
    // Different text, different symbol.
    expect(qrPath('otpauth://totp/ecabinet:other?secret=AAAA').d).not.toBe(d);
  });
});
