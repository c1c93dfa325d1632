/**
 * History lives in git, not in the code: no file of the repository (code, comments, scripts,
 * policies, documentation) cites an issue or pull request of this project by number. A bug of
 * another project is still cited with its repository (`porsager/postgres#1130`): that is a reason
 * for the code as it is, not its history.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CITATIONS: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'issue number', pattern: /\b(?:issues?|pull requests?|PRs?)\s*#?\s*\d+/i },
  { name: 'project reference', pattern: /\begide\s*#\s*\d+/i },
  // `#12`, but not `owner/repo#12` (another project), `](#12-section)` (an anchor) or `&#12;`.
  { name: 'bare #number', pattern: /(?<![\w/.#&-])#\d+\b(?![\w-])/ },
];

/** Data and third-party text (test vectors, generated results, upstream patches, the lock file), and this file's own samples. */
const NOT_OURS = [/^test\/fixtures\//, /^bench\/results\//, /^patches\//, /^package-lock\.json$/, /\.(?:png|jpe?g|gif|ico|woff2?)$/, /^test\/architecture\/no-issue-numbers\.test\.ts$/];

function citations(text: string): string[] {
  return text.split('\n').flatMap((line, i) => CITATIONS.filter(({ pattern }) => pattern.test(line)).map(({ name }) => `${i + 1}: ${name}: ${line.trim().slice(0, 140)}`));
}

t.test('the patterns find a citation and leave other numbers alone', async (t) => {
  // Upper case, so that a plain case-sensitive grep for citations does not stop at these samples.
  for (const cited of ['// see ISSUE 7', ' * (ISSUES 5 and 7)', '# fixed in ISSUE #12', 'closes #42', '(#3)', 'egide#4', 'pull request 9']) t.ok(citations(cited).length > 0, `found in: ${cited}`);
  for (const fine of ['porsager/postgres#1130', '[Conventions](#1-conventions)', 'color: #0b4f8a;', 'step 3 of 5', 'HTTP 429', '&#160;', 'an issue with 3 fields']) t.same(citations(fine), [], `nothing in: ${fine}`);
});

t.test('no file of the repository cites an issue of the project', async (t) => {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f !== '' && !NOT_OURS.some((re) => re.test(f)));
  t.ok(files.includes('src/app.ts') && files.includes('.ci/run'), 'the listing covers the code and the scripts');
  const found = files.flatMap((f) => {
    let text: string;
    try {
      text = readFileSync(path.join(root, f), 'utf8');
    } catch {
      return []; // listed but deleted in the work tree
    }
    return citations(text).map((c) => `${f}:${c}`);
  });
  t.same(found, [], `history in the code (say why in the comment; the issue belongs in the commit message):\n  ${found.join('\n  ')}`);
});
