import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../src/ids';
import { newBallotKey } from '../src/polls/logic';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('random ids', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('are UUIDs from getRandomValues where randomUUID is missing (plain http), never from the clock', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (b: Uint8Array<ArrayBuffer>) => real.getRandomValues(b) });
    vi.spyOn(Date, 'now').mockReturnValue(1_765_000_000_000);
    const a = newBallotKey();
    const b = randomId();
    expect(a).toMatch(UUID_V4);
    expect(b).toMatch(UUID_V4);
    expect(a).not.toBe(b);
    expect(a).not.toContain((1_765_000_000_000).toString(36));
    vi.restoreAllMocks();
  });

  it('use randomUUID where the browser has it', () => {
    vi.stubGlobal('crypto', { randomUUID: () => '00000000-0000-4000-8000-000000000000' });
    expect(newBallotKey()).toBe('00000000-0000-4000-8000-000000000000');
  });
});
