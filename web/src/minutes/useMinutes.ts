// The minutes editor of the meeting on screen, for users who may read the draft (the chair,
// the meeting's secretary, managers): created once per meeting and user, re-reading the
// minutes on every `minutes.updated` it did not cause and sending what waits when the
// connection returns.
import { useEffect, useState } from 'preact/hooks';
import { session } from '../app';
import type { MeetingHandle } from '../meeting/useMeeting';
import type { MeetingView } from '../meeting/state';
import type { User } from '../types';
import { MinutesEditor, type EditorState, type KeyValue } from './editor';
import { minutesAccess, type MinutesAccess } from './model';

export interface MinutesHandle {
  access: MinutesAccess;
  editor: MinutesEditor | null;
  state: EditorState | null;
}

function storage(): KeyValue | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function useMinutes(h: MeetingHandle, view: MeetingView, user: User): MinutesHandle {
  const access = minutesAccess(view, user);
  // A meeting being prepared has no record yet.
  const wanted = access !== 'none' && view.meeting.state !== 'draft';
  const [editor, setEditor] = useState<MinutesEditor | null>(null);
  const [state, setState] = useState<EditorState | null>(null);

  useEffect(() => {
    if (!wanted) return;
    const ed = new MinutesEditor(view.meeting.id, { request: (m, p, b) => session.request(m, p, b), storage: storage(), user: user.id });
    setEditor(ed);
    setState(ed.current);
    const off = ed.subscribe(setState);
    void ed.load();
    const online = () => ed.online();
    window.addEventListener('online', online);
    return () => {
      off();
      window.removeEventListener('online', online);
      ed.dispose();
      setEditor(null);
      setState(null);
    };
  }, [view.meeting.id, user.id, wanted]);

  // Another tablet saved (or finalised): read the latest, unless it was this one's own save.
  useEffect(() => {
    if (editor && view.minutes) editor.remoteChanged(view.minutes);
  }, [editor, view.minutes?.version]);

  useEffect(() => {
    if (editor && (h.status === 'socket' || h.status === 'polling')) editor.online();
  }, [editor, h.status]);

  return { access, editor: wanted ? editor : null, state: wanted ? state : null };
}
