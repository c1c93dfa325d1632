/** A refusal or failure in words (from the problem's code), announced to screen readers. */
import { problemText } from '../i18n.js';

export function Problem({ code }: { code: string | null }) {
  if (!code) return null;
  return (
    <p class="alert alert-error" role="alert" data-code={code}>
      {problemText(code)}
    </p>
  );
}
