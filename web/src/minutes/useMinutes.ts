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

/** No editor state here: the panels subscribe themselves (`useEditorState`), so typing re-renders them, not the whole meeting screen. */
export interface MinutesHandle {
  access: MinutesAccess;
  editor: MinutesEditor | null;
}

/** The editor's state, kept current. */
export function useEditorState(editor: MinutesEditor | null): EditorState | null {
  const [state, setState] = useState<EditorState | null>(editor?.current ?? null);
  useEffect(() => {
    setState(editor?.current ?? null);
    return editor?.subscribe(setState);
  }, [editor]);
  return editor ? (state ?? editor.current) : null;
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

  useEffect(() => {
    if (!wanted) return;
    const ed = new MinutesEditor(view.meeting.id, { request: (m, p, b) => session.request(m, p, b), storage: storage(), user: user.id });
    setEditor(ed);
    void ed.load();
    const online = () => ed.online();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      ed.dispose();
      setEditor(null);
    };
  }, [view.meeting.id, user.id, wanted]);

  // Another tablet saved (or finalised): read the latest, unless it was this one's own save.
  useEffect(() => {
    if (editor && view.minutes) editor.remoteChanged(view.minutes);
  }, [editor, view.minutes?.version]);

  useEffect(() => {
    if (editor && (h.status === 'socket' || h.status === 'polling')) editor.online();
  }, [editor, h.status]);

  return { access, editor: wanted ? editor : null };
}
