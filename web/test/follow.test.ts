import { describe, expect, it } from 'vitest';
import { initialFollow, openingPage, presenterMoved, setFollowing, shouldAnnounce, userMoved } from '../src/reader/follow';
import { clampPage, nextZoom } from '../src/reader/view';

describe('follow the presenter', () => {
  it('is on by default and jumps to each announced page', () => {
    expect(initialFollow.on).toBe(true);
    const a = presenterMoved(initialFollow, { document_id: 'd1', page: 3, user_id: 'chair' });
    expect(a.jump).toEqual({ document_id: 'd1', page: 3, user_id: 'chair' });
    const b = presenterMoved(a.state, { document_id: 'd2', page: 1 });
    expect(b.jump?.document_id).toBe('d2');
  });

  it('announces the page found on joining instead of jumping there, unless the reader is open', () => {
    const found = { document_id: 'd1', page: 4, user_id: 'chair', joined: true };
    const a = presenterMoved(initialFollow, found);
    expect(a.jump).toBeNull();
    // Remembered: the notice shows it, and a tap on the document opens at that page.
    expect(a.state.target).toEqual({ document_id: 'd1', page: 4, user_id: 'chair' });
    expect(openingPage(a.state, 'd1')).toBe(4);
    // Back from a dropped connection with the reader open: it keeps following.
    expect(presenterMoved(initialFollow, found, true).jump?.page).toBe(4);
    // The next real page turn is followed as always.
    expect(presenterMoved(a.state, { document_id: 'd1', page: 5 }).jump?.page).toBe(5);
  });

  it('ignores malformed announcements', () => {
    for (const bad of [null, {}, { document_id: 'd1' }, { document_id: 'd1', page: 0 }, { document_id: 'd1', page: 1.5 }, { document_id: 7, page: 2 }]) {
      const s = presenterMoved(initialFollow, bad);
      expect(s.jump).toBeNull();
      expect(s.state).toBe(initialFollow);
    }
  });

  it('stops following when the reader turns to another page, not to the presenter’s own', () => {
    const s = presenterMoved(initialFollow, { document_id: 'd1', page: 3 }).state;
    expect(userMoved(s, { document_id: 'd1', page: 3 }).on).toBe(true);
    const left = userMoved(s, { document_id: 'd1', page: 4 });
    expect(left.on).toBe(false);
    expect(userMoved(s, { document_id: 'd2', page: 3 }).on).toBe(false);
    // Nothing announced yet: turning pages keeps it on (there is nobody to follow).
    expect(userMoved(initialFollow, { document_id: 'd1', page: 9 }).on).toBe(true);
    // While not following, announcements are remembered but do not move the reader.
    const later = presenterMoved(left, { document_id: 'd1', page: 10 });
    expect(later.jump).toBeNull();
    expect(later.state.target?.page).toBe(10);
    // One tap rejoins at the latest page.
    const back = setFollowing(later.state, true);
    expect(back.state.on).toBe(true);
    expect(back.jump).toEqual({ document_id: 'd1', page: 10, user_id: undefined });
    expect(setFollowing(back.state, false).jump).toBeNull();
  });

  it('announces only real page changes of documents while presenting', () => {
    expect(shouldAnnounce(false, null, { document_id: 'd1', page: 1 })).toBe(false);
    expect(shouldAnnounce(true, null, { document_id: null, page: 1 })).toBe(false); // board book
    expect(shouldAnnounce(true, null, { document_id: 'd1', page: 1 })).toBe(true);
    expect(shouldAnnounce(true, { document_id: 'd1', page: 1 }, { document_id: 'd1', page: 1 })).toBe(false);
    expect(shouldAnnounce(true, { document_id: 'd1', page: 1 }, { document_id: 'd1', page: 2 })).toBe(true);
    expect(shouldAnnounce(true, { document_id: 'd1', page: 2 }, { document_id: 'd2', page: 2 })).toBe(true);
  });
});

describe('reader pages and zoom', () => {
  it('keeps the page within the document', () => {
    expect(clampPage(0, 10)).toBe(1);
    expect(clampPage(11, 10)).toBe(10);
    expect(clampPage(4.6, 10)).toBe(5);
    expect(clampPage(Number.NaN, 10)).toBe(1);
    expect(clampPage(3, 0)).toBe(1);
  });
  it('steps the zoom from fit-width or from a level', () => {
    expect(nextZoom('fit', 1, 1.6)).toBe(2);
    expect(nextZoom('fit', -1, 1.6)).toBe(1.5);
    expect(nextZoom(1, 1, 0)).toBe(1.25);
    expect(nextZoom(0.5, -1, 0)).toBe(0.5);
    expect(nextZoom(4, 1, 0)).toBe(4);
  });
});

describe('opening a document while following', () => {
  it('opens at the presenter’s page when he is in that document', () => {
    const s = presenterMoved(initialFollow, { document_id: 'd1', page: 7 }).state;
    expect(openingPage(s, 'd1')).toBe(7);
    expect(openingPage(s, 'd2')).toBe(1);
    expect(openingPage({ ...s, on: false }, 'd1')).toBe(1);
    expect(openingPage(initialFollow, 'd1')).toBe(1);
    expect(openingPage(initialFollow, 'd1', 4)).toBe(4);
  });
});
