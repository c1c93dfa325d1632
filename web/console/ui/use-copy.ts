/**
 * Copying what the page shows (a link, a one-time secret) to the clipboard: `copied` is true once
 * it is there, false when the browser refused (no clipboard, permission denied), null before a try.
 */
import { useState } from 'preact/hooks';

export function useCopy() {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async (value: string): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // The value stays on screen, to select and copy by hand.
      setCopied(false);
    }
  };
  return { copied, copy, reset: () => setCopied(null) };
}
