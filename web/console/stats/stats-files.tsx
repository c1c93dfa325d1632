/**
 * Figures saved as files: a CSV or JSON answer of the API fetched with the session's token (the
 * API client's raw call, so the bytes are the server's), or a table already on screen as JSON;
 * offered as a download under the server's file name, and said in a status line.
 */
import { useState } from 'preact/hooks';
import { codeOf } from '../api.js';
import { offerBlob } from '../case/case-files.js';
import { t } from '../i18n.js';
import { Problem } from '../ui/problem.js';

export interface SavedFile {
  blob: Blob;
  name: string;
}

/** An answer of the API as a file, named as the server names it (Content-Disposition) or `fallback`. */
export async function fileOf(response: Response, fallback: string): Promise<SavedFile> {
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallback;
  return { blob: await response.blob(), name };
}

/** A value as a JSON file. */
export const jsonFile = (value: unknown, name: string): SavedFile => ({ blob: new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' }), name });

/** One save at a time: what was saved, or why not. */
export function useSave() {
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<SavedFile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = async (make: () => Promise<SavedFile> | SavedFile) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const file = await make();
      offerBlob(file.blob, file.name);
      setSaved(file);
    } catch (err) {
      setError(codeOf(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, saved, error, save };
}

/** What a save did, under its buttons. */
export function SaveReport({ state }: { state: Pick<ReturnType<typeof useSave>, 'saved' | 'error'> }) {
  return (
    <>
      <Problem code={state.error} />
      <p role="status" class="stats-saved">
        {state.saved ? t('stats.saved', { name: state.saved.name, bytes: state.saved.blob.size }) : ''}
      </p>
    </>
  );
}
