// The vote call's chime (issue 22): two short tones through Web Audio when a poll waits for the
// member's ballot, once per poll, muted by the tablet's sound setting, harmless without Web Audio.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SOUND_KEY, TONES, announceVote, chime, setSoundOn, soundOn } from '../src/polls/chime';

class MemStorage {
  m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

/** A stand-in for AudioContext that records what is played. */
function fakeAudio() {
  const played: { freq: number; start: number; stop: number }[] = [];
  let made = 0;
  let resumed = 0;
  class FakeContext {
    state = 'suspended';
    currentTime = 10;
    destination = {};
    constructor() {
      made++;
    }
    resume() {
      resumed++;
      this.state = 'running';
      return Promise.resolve();
    }
    createGain() {
      const ramp = vi.fn();
      return { gain: { setValueAtTime: vi.fn(), exponentialRampToValueAtTime: ramp }, connect: vi.fn() };
    }
    createOscillator() {
      const o = { type: '', freq: 0, start_: 0 };
      return {
        set type(v: string) {
          o.type = v;
        },
        frequency: { setValueAtTime: (f: number) => void (o.freq = f) },
        connect: vi.fn(),
        start: (at: number) => void (o.start_ = at),
        stop: (at: number) => void played.push({ freq: o.freq, start: o.start_, stop: at }),
      };
    }
  }
  return { Ctor: FakeContext as unknown as new () => AudioContext, played, made: () => made, resumed: () => resumed };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the vote chime', () => {
  it('plays two short tones through Web Audio, one context for the page', () => {
    const a = fakeAudio();
    expect(chime(true, a.Ctor)).toBe(true);
    expect(a.played.map((p) => p.freq)).toEqual(TONES.map(([f]) => f));
    for (const p of a.played) expect(p.stop - p.start).toBeLessThan(0.25);
    expect(a.played[0].start).toBe(10);
    expect(a.resumed()).toBe(1);
    expect(chime(true, a.Ctor)).toBe(true);
    expect(a.made()).toBe(1);
    expect(a.played).toHaveLength(4);
  });

  it('is silent when turned off, and without Web Audio nothing fails', () => {
    const a = fakeAudio();
    expect(chime(false, a.Ctor)).toBe(false);
    expect(a.made()).toBe(0);
    expect(chime(true, undefined)).toBe(false);
    const Broken = class {
      constructor() {
        throw new Error('NotAllowedError');
      }
    } as unknown as new () => AudioContext;
    expect(chime(true, Broken)).toBe(false);
  });

  it('keeps the tablet’s sound setting', () => {
    const s = new MemStorage() as unknown as Storage;
    expect(soundOn(s)).toBe(true);
    setSoundOn(false, s);
    expect(s.getItem(SOUND_KEY)).toBe('off');
    expect(soundOn(s)).toBe(false);
    setSoundOn(true, s);
    expect(soundOn(s)).toBe(true);
  });
});

describe('announcing a vote', () => {
  it('chimes and vibrates once per poll', () => {
    const seen = new Set<string>();
    const chimeFn = vi.fn();
    const vibrate = vi.fn();
    expect(announceVote('p1', seen, { chime: chimeFn, vibrate })).toBe(true);
    expect(announceVote('p1', seen, { chime: chimeFn, vibrate })).toBe(false);
    expect(announceVote('p2', seen, { chime: chimeFn, vibrate })).toBe(true);
    expect(chimeFn).toHaveBeenCalledTimes(2);
    expect(vibrate).toHaveBeenCalledWith([200, 100, 200]);
  });

  it('uses the browser’s Web Audio by default, unless the sound is off', () => {
    const a = fakeAudio();
    const store = new MemStorage();
    vi.stubGlobal('AudioContext', a.Ctor);
    vi.stubGlobal('localStorage', store);
    vi.stubGlobal('navigator', { vibrate: vi.fn() });
    announceVote('p3', new Set());
    expect(a.played.length).toBeGreaterThan(0);
    const before = a.played.length;
    store.setItem(SOUND_KEY, 'off');
    announceVote('p4', new Set());
    expect(a.played).toHaveLength(before);
    // A vibration that throws does not stop the chime.
    store.removeItem(SOUND_KEY);
    vi.stubGlobal('navigator', {
      vibrate: () => {
        throw new Error('blocked');
      },
    });
    announceVote('p5', new Set());
    expect(a.played.length).toBeGreaterThan(before);
  });
});
