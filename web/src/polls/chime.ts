// How an open vote reaches a member who is looking elsewhere (issue 22): besides the banner, a
// vibration where the device has one and a short two-tone chime made with Web Audio (no sound
// file to load, nothing from outside), once per poll. The chime can be turned off on the tablet
// ("Âm báo"), a preference kept in localStorage; without Web Audio nothing is played and nothing
// fails.

/** The preference's key: `"off"` mutes the chime, anything else (or nothing) plays it. */
export const SOUND_KEY = 'ecabinet.voteSound';

type AudioCtor = new () => AudioContext;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Whether the vote call's chime plays on this tablet (on unless turned off). */
export function soundOn(store: Storage | null = storage()): boolean {
  try {
    return store?.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundOn(on: boolean, store: Storage | null = storage()) {
  try {
    if (on) store?.removeItem(SOUND_KEY);
    else store?.setItem(SOUND_KEY, 'off');
  } catch {
    /* private mode: the choice lasts this page only */
  }
}

/** The Web Audio constructor of this browser, if it has one. */
function audioCtor(): AudioCtor | undefined {
  const g = globalThis as { AudioContext?: AudioCtor; webkitAudioContext?: AudioCtor };
  return g.AudioContext ?? g.webkitAudioContext;
}

// One context for the page: browsers limit how many may exist.
let shared: { ctor: AudioCtor; ctx: AudioContext } | null = null;

/** The chime's two tones: (frequency in Hz, start in s after now). */
export const TONES: readonly (readonly [number, number])[] = [
  [880, 0],
  [1318.5, 0.18],
];

/**
 * Plays the chime: two short sine tones with soft edges (no click), quiet enough for a meeting
 * room. Returns whether it was played (false: turned off, no Web Audio, or the browser refused).
 */
export function chime(on: boolean = soundOn(), Ctor: AudioCtor | undefined = audioCtor()): boolean {
  if (!on || !Ctor) return false;
  try {
    if (!shared || shared.ctor !== Ctor) shared = { ctor: Ctor, ctx: new Ctor() };
    const ctx = shared.ctx;
    // A context made before the page was touched starts suspended; tablets in a meeting have been.
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    const t0 = ctx.currentTime;
    for (const [freq, at] of TONES) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(freq, t0 + at);
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.16);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.17);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Announces a poll that waits for this user's ballot, once per poll (`seen` remembers which):
 * vibrates where the device can, and chimes unless the tablet's sound is off. Returns whether
 * it announced (false: already announced).
 */
export function announceVote(
  pollId: string,
  seen: Set<string>,
  out: { vibrate?: (pattern: number[]) => unknown; chime?: () => unknown } = {},
): boolean {
  if (seen.has(pollId)) return false;
  seen.add(pollId);
  try {
    (out.vibrate ?? ((p: number[]) => globalThis.navigator?.vibrate?.(p)))([200, 100, 200]);
  } catch {
    /* no vibration on this device */
  }
  (out.chime ?? (() => chime()))();
  return true;
}
