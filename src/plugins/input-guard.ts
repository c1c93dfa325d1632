import fp from 'fastify-plugin';
import { fieldInvalid } from '../lib/problem.js';

/**
 * Text PostgreSQL cannot store, refused as a bad request before any route sees it: the NUL
 * character (text and jsonb columns reject it: a reason containing "\u0000" was a 500, found by
 * test/security/fuzz) and lone UTF-16 surrogates (not Unicode: they would be stored as
 * U+FFFD, silently changing what the person wrote). One check for every route, present and
 * future, rather than a pattern on each free-text field.
 */
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** The JSON pointer of the first string or key holding unstorable text, or null. Iterative: bodies may nest deeply. */
export function findUnstorableText(value: unknown, root: string): string | null {
  const stack: Array<{ v: unknown; at: string }> = [{ v: value, at: root }];
  while (stack.length > 0) {
    const { v, at } = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return at;
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ v: item, at: `${at}/${i}` }));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return at;
        stack.push({ v: item, at: `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}` });
      }
    }
  }
  return null;
}

export default fp(
  async function inputGuardPlugin(fastify) {
    fastify.addHook('preValidation', async (request) => {
      const where = findUnstorableText(request.params, '/params') ?? findUnstorableText(request.query, '/querystring') ?? findUnstorableText(request.body, '/body');
      if (where) throw fieldInvalid(where.slice(0, 300), 'holds a NUL character or a lone surrogate', 'text may not contain NUL characters or lone surrogates');
    });
  },
  { name: 'input-guard', dependencies: ['errors'] },
);
