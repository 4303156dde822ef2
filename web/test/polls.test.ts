import { describe, expect, it, vi } from 'vitest';
import { castBallot, loadReceipts, optionKey, resultKey, saveReceipt, tallyRows } from '../src/polls/logic';
import { LiveRequestError } from '../src/live';
import { hasKey } from '../src/i18n';
import { poll } from './fixtures';

describe('tally', () => {
  it('shows every option with its count and share, zero included', () => {
    const rows = tallyRows(poll('p1', { tally: { yes: 3, no: 1 }, voted: 4 }));
    expect(rows).toEqual([
      { option: 'yes', count: 3, percent: 75 },
      { option: 'no', count: 1, percent: 25 },
      { option: 'abstain', count: 0, percent: 0 },
    ]);
    expect(tallyRows(poll('p2', { tally: {} })).every((r) => r.percent === 0)).toBe(true);
  });

  it('names the options and results with the glossary’s words', () => {
    for (const o of ['yes', 'no', 'abstain']) expect(hasKey(optionKey(o)!)).toBe(true);
    expect(optionKey('Phương án A')).toBeNull();
    for (const r of ['adopted', 'rejected', 'no_quorum'] as const) expect(hasKey(resultKey(poll('p', { result: r }))!)).toBe(true);
    expect(resultKey(poll('p'))).toBeNull();
  });
});

describe('castBallot', () => {
  it('votes over the live channel and returns the receipt', async () => {
    const live = vi.fn(async () => ({ type: 'ack', ref: 'r1', receipt: 'R-123' }));
    const http = vi.fn();
    await expect(castBallot('p1', 'yes', { live, http })).resolves.toBe('R-123');
    expect(live).toHaveBeenCalledWith({ type: 'ballot', poll_id: 'p1', choice: 'yes' });
    expect(http).not.toHaveBeenCalled();
  });

  it('falls back to HTTP without a socket, on timeout or when the server does not take ballots live', async () => {
    for (const code of ['not_connected', 'timeout', 'not_supported']) {
      const http = vi.fn(async () => ({ receipt: 'H-1' }));
      await expect(castBallot('p1', 'no', { live: async () => Promise.reject(new LiveRequestError(code)), http })).resolves.toBe('H-1');
      expect(http).toHaveBeenCalledWith('p1', 'no');
    }
  });

  it('does not retry a refused ballot over HTTP', async () => {
    const http = vi.fn();
    await expect(castBallot('p1', 'yes', { live: async () => Promise.reject(new LiveRequestError('already_voted')), http })).rejects.toMatchObject({ status: 409, code: 'already_voted' });
    await expect(castBallot('p1', 'yes', { live: async () => Promise.reject(new LiveRequestError('forbidden')), http })).rejects.toMatchObject({ code: 'forbidden' });
    expect(http).not.toHaveBeenCalled();
  });

  it('keeps receipts per key in storage', () => {
    const m = new Map<string, string>();
    const storage = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    saveReceipt('u1/p1', 'R-1', storage);
    saveReceipt('u1/p2', 'R-2', storage);
    expect(loadReceipts(storage)).toEqual({ 'u1/p1': 'R-1', 'u1/p2': 'R-2' });
    m.set('ecabinet.receipts', 'not json');
    expect(loadReceipts(storage)).toEqual({});
  });
});
