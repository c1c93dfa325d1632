/**
 * The audit chain: any rewrite of history is caught and located (verifyChain names the first
 * event that does not verify), and a signed checkpoint kept offline catches even a rewrite
 * whose hashes were recomputed consistently. A range between two signed checkpoints verifies
 * alone, with the key trusted, and nothing but the chain between them passes.
 */
import t, { type Test } from 'tap';
import fc, { type IProperty } from 'fast-check';
import sodium from 'libsodium-wrappers-sumo';
import {
  ChainVerifier,
  ExportVerifier,
  GENESIS_HASH,
  RangeVerifier,
  chainHash,
  ready,
  signCheckpoint,
  verifyChain,
  toB64u,
  verifyCheckpoint,
  type AuditEvent,
  type ChainedAuditEvent,
} from '../../src/sdk/index.js';

await ready();

const N = 200;
const roles = ['officer', 'partner', 'supervisor', 'defender', 'system'] as const;
const actions = ['case.read_sealed', 'case.read', 'case.update', 'referral.create', 'audit.query', 'login'] as const;

/** Varied but reproducible events: nulls, non-ASCII reasons, denials, several actors. */
function makeEvent(seq: number): AuditEvent {
  const caseId = seq % 5 === 0 ? null : `0193a5c4-7e21-7c3e-9a51-${String(seq % 17).padStart(12, '0')}`;
  return {
    seq,
    at: new Date(Date.UTC(2026, 2, 4, 8, 0, 0) + seq * 61_003).toISOString(),
    actor: `u:${roles[seq % roles.length]}-${seq % 11}`,
    role: roles[seq % roles.length]!,
    action: actions[seq % actions.length]!,
    resource: caseId ? `case:${caseId}` : 'audit',
    caseId,
    outcome: seq % 7 === 0 ? 'denied' : 'allowed',
    reason: seq % 3 === 0 ? `revue n°${seq} — accès « exceptionnel »` : null,
    requestId: `req-${seq.toString(36)}`,
  };
}

/** Hashes events into a chain from `prev` (genesis by default). */
function chain(events: AuditEvent[], prev = GENESIS_HASH): ChainedAuditEvent[] {
  return events.map((e) => {
    prev = chainHash(prev, e);
    return { ...e, hash: prev };
  });
}

const events = chain(Array.from({ length: N }, (_, i) => makeEvent(i + 1)));
const head = { seq: N, hash: events[N - 1]!.hash };

const FIELDS = ['seq', 'at', 'actor', 'role', 'action', 'resource', 'caseId', 'outcome', 'reason', 'requestId', 'hash'] as const;
type Field = (typeof FIELDS)[number];

/** A value for `field` that is certainly different from `current`. */
function otherValue(field: Field, current: unknown, n: number, text: string, toNull: boolean): unknown {
  switch (field) {
    case 'seq':
      return n === current ? n + 1 : n;
    case 'outcome':
      return current === 'allowed' ? 'denied' : 'allowed';
    case 'caseId':
    case 'reason':
      if (toNull && current !== null) return null;
      return text === current ? `${text}x` : text;
    case 'hash': {
      const hex = Buffer.from(text.padEnd(32, 'h')).toString('hex').slice(0, 64);
      return hex === current ? hex.replace(/^./, (c) => (c === '0' ? '1' : '0')) : hex;
    }
    default:
      return text === current ? `${text}x` : text;
  }
}

/** Runs a property and turns its outcome into one tap assertion (with fast-check's counterexample). */
function check<Ts>(t: Test, name: string, prop: IProperty<Ts>, numRuns: number): void {
  const r = fc.check(prop, { numRuns });
  t.notOk(r.failed, fc.defaultReportMessage(r) ?? name);
}

t.test('the generated chain verifies from genesis', async (t) => {
  t.same(verifyChain(events), { ok: true, count: N, head });
});

t.test('tampering with any field of any event names that event', async (t) => {
  const prop = fc.property(fc.integer({ min: 0, max: N - 1 }), fc.constantFrom(...FIELDS), fc.integer({ min: -10, max: 2 * N }), fc.string(), fc.boolean(), (i, field, n, text, toNull) => {
    const tampered = events.slice();
    const original = events[i]!;
    tampered[i] = { ...original, [field]: otherValue(field, original[field], n, text, toNull) } as ChainedAuditEvent;
    const r = verifyChain(tampered);
    return !r.ok && r.firstBadSeq === original.seq && r.count === i;
  });
  check(t, 'tampering', prop, 500);

  // The same, exhaustively over the fields, at the first, a middle and the last event.
  for (const i of [0, 99, N - 1]) {
    for (const field of FIELDS) {
      const tampered = events.slice();
      tampered[i] = { ...events[i]!, [field]: otherValue(field, events[i]![field], 0, 'x', true) } as ChainedAuditEvent;
      const r = verifyChain(tampered);
      t.same(r.ok ? null : r.firstBadSeq, i + 1, `${field} of seq ${i + 1}`);
    }
  }
});

t.test('a missing event names the missing seq', async (t) => {
  const prop = fc.property(fc.integer({ min: 0, max: N - 2 }), (i) => {
    const r = verifyChain([...events.slice(0, i), ...events.slice(i + 1)]);
    return !r.ok && r.firstBadSeq === i + 1;
  });
  check(t, 'missing', prop, 200);
});

t.test('events out of order name the first misplaced seq', async (t) => {
  const prop = fc.property(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: N - 1 }), (a, b) => {
    fc.pre(a !== b);
    const [i, j] = a < b ? [a, b] : [b, a];
    const swapped = events.slice();
    [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
    const r = verifyChain(swapped);
    return !r.ok && r.firstBadSeq === i + 1;
  });
  check(t, 'swapped', prop, 200);
});

t.test('a repeated event names the seq that should have followed', async (t) => {
  const prop = fc.property(fc.integer({ min: 0, max: N - 1 }), (i) => {
    const r = verifyChain([...events.slice(0, i + 1), events[i]!, ...events.slice(i + 1)]);
    return !r.ok && r.firstBadSeq === i + 2;
  });
  check(t, 'repeated', prop, 200);
});

t.test('ChainVerifier continues from a kept head', async (t) => {
  const k = 120;
  const first = verifyChain(events.slice(0, k));
  if (!first.ok) return t.fail('the first part must verify');
  t.same(first.head, { seq: k, hash: events[k - 1]!.hash });

  const v = new ChainVerifier(first.head);
  for (const e of events.slice(k)) t.equal(v.push(e), true, `seq ${e.seq}`);
  t.same(v.result(), { ok: true, count: N - k, head });
  t.same(verifyChain(events.slice(k), first.head), { ok: true, count: N - k, head }, 'verifyChain accepts the same starting point');

  const tampered = events.slice(k);
  tampered[30] = { ...tampered[30]!, actor: 'u:someone-else' };
  const w = new ChainVerifier(first.head);
  const pushed = tampered.map((e) => w.push(e));
  t.same(pushed.indexOf(false), 30, 'push fails at the tampered event');
  t.notOk(pushed.slice(30).some(Boolean), 'and keeps failing after it');
  t.match(w.result(), { ok: false, firstBadSeq: k + 31, count: 30 });

  const wrongHead = { seq: k, hash: events[k - 2]!.hash };
  t.match(verifyChain(events.slice(k), wrongHead), { ok: false, firstBadSeq: k + 1 }, 'a continuation from another head fails at once');
  t.match(verifyChain(events.slice(k + 1), first.head), { ok: false, firstBadSeq: k + 1 }, 'a gap right after the head is caught');
});

t.test('a signed checkpoint catches a consistent rewrite and a dropped tail', async (t) => {
  const signer = sodium.crypto_sign_keypair();
  const checkpoint = signCheckpoint(head.seq, head.hash, signer.privateKey);
  t.ok(verifyCheckpoint(checkpoint, signer.publicKey), 'the head as signed');

  // The server rewrites event 50 and recomputes every later hash: the chain verifies on its own...
  const rewritten = chain(events.map((e) => (e.seq === 50 ? { ...e, outcome: e.outcome === 'allowed' ? 'denied' : 'allowed' } : e)));
  const r = verifyChain(rewritten);
  t.ok(r.ok, 'a consistently rewritten chain verifies on its own');
  if (r.ok) {
    t.not(r.head.hash, head.hash, '...but its head is not the signed one');
    t.notOk(verifyCheckpoint({ ...checkpoint, hash: r.head.hash }, signer.publicKey), 'and the signature does not cover it');
  }

  // Dropping the newest events also leaves a chain that verifies, with an older head.
  const shortened = verifyChain(events.slice(0, N - 3));
  t.ok(shortened.ok);
  if (shortened.ok) t.notOk(verifyCheckpoint({ ...checkpoint, seq: shortened.head.seq, hash: shortened.head.hash }, signer.publicKey));
});

t.test('ExportVerifier reads an export line by line and holds it to a kept head', async (t) => {
  const lines = events.map((e) => JSON.stringify(e));
  const kept = { seq: 120, hash: events[119]!.hash };
  const feed = (v: ExportVerifier, ls: string[]) => {
    for (const l of ls) if (!v.push(l)) break;
    return v.result();
  };
  t.same(feed(new ExportVerifier(), [...lines, '']), { ok: true, count: N, head }, 'alone, with a blank last line');
  t.same(feed(new ExportVerifier(kept), lines), { ok: true, count: N, head }, 'through the kept head');

  const rewritten = chain(events.map((e) => (e.seq === 50 ? { ...e, outcome: e.outcome === 'allowed' ? 'denied' : 'allowed' } : e))).map((e) => JSON.stringify(e));
  t.match(feed(new ExportVerifier(), rewritten), { ok: true }, 'a consistent rewrite verifies on its own...');
  t.match(feed(new ExportVerifier(kept), rewritten), { ok: false, code: 'audit_head_differs', firstBadSeq: 120, count: 120 }, '...not through the kept head');

  t.match(feed(new ExportVerifier(kept), lines.slice(0, 100)), { ok: false, code: 'audit_head_not_reached', firstBadSeq: null, count: 100, reason: /ends at seq 100, before the kept head's seq 120/ });

  const broken = [...lines];
  broken[2] = broken[2]!.replace('"actor":"', '"actor":"x');
  t.match(feed(new ExportVerifier(kept), broken), { ok: false, code: 'audit_chain_broken', firstBadSeq: 3, count: 2 });

  for (const bad of ['{not json', 'null', '42']) {
    const v = new ExportVerifier();
    t.match(feed(v, [lines[0]!, '', lines[1]!, bad, lines[2]!]), { ok: false, code: 'audit_line_malformed', firstBadSeq: 3, count: 2, reason: 'line 4 is not valid JSON' }, bad);
    t.equal(v.push(lines[2]!), false, 'and it stops at the first failure');
  }
});

t.test('RangeVerifier: a range between two signed checkpoints, with the trusted key', async (t) => {
  const signer = sodium.crypto_sign_keypair();
  const other = sodium.crypto_sign_keypair();
  const lines = events.map((e) => JSON.stringify(e));
  const at = (seq: number) => signCheckpoint(seq, events[seq - 1]!.hash, signer.privateKey);
  const start = at(50);
  const end = at(150);
  /** Lines of the events after..upTo (seqs), as the export by range serves them. */
  const rangeLines = (after: number, upTo: number, from = lines) => from.slice(after, upTo);
  const feed = (v: RangeVerifier, ls: string[]) => {
    for (const l of ls) if (!v.push(l)) break;
    return v.result();
  };

  const ok = feed(new RangeVerifier({ start, end }, signer.publicKey), [...rangeLines(50, 150), '']);
  t.same(ok, { ok: true, count: 100, from: { seq: 50, hash: events[49]!.hash }, head: { seq: 150, hash: events[149]!.hash }, span: { first: events[50]!.at, last: events[149]!.at } }, 'seq 51 to 150, from the start checkpoint to the end one');
  t.match(feed(new RangeVerifier({ start: null, end }, toB64u(signer.publicKey)), rangeLines(0, 150)), { ok: true, count: 150, from: { seq: 0, hash: GENESIS_HASH } }, 'from genesis (no start checkpoint), the key in b64u');

  // An event altered inside the range: named by its seq, the rest not read.
  const tampered = rangeLines(50, 150);
  tampered[39] = JSON.stringify({ ...events[89]!, reason: 'rien à signaler' });
  const v = new RangeVerifier({ start, end }, signer.publicKey);
  t.match(feed(v, tampered), { ok: false, code: 'audit_chain_broken', firstBadSeq: 90, count: 39 }, 'the altered event, by seq');
  t.equal(v.push(tampered[40]!), false, 'and it stops there');

  // Altered outside the range (before its start), hashes untouched: the range itself still verifies...
  const outside = lines.slice();
  outside[19] = JSON.stringify({ ...events[19]!, reason: 'rien à signaler' });
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(50, 150, outside)), { ok: true, count: 100 }, 'an event altered outside the range is not the range\'s');
  t.match(verifyChain(outside.map((l) => JSON.parse(l) as ChainedAuditEvent)), { ok: false, firstBadSeq: 20 }, '...the whole chain fails at it');
  // ...but a rewrite before the start with every later hash recomputed no longer starts at the signed hash.
  const recomputed = chain(events.map((e) => (e.seq === 20 ? { ...e, reason: 'rien à signaler' } : e))).map((e) => JSON.stringify(e));
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(50, 150, recomputed)), { ok: false, code: 'audit_chain_broken', firstBadSeq: 51, count: 0 }, 'a rewrite before the range breaks its first event');
  // A rewrite inside the range with every later hash recomputed: caught at the end checkpoint.
  const rewritten = chain(events.map((e) => (e.seq === 100 ? { ...e, outcome: e.outcome === 'allowed' ? 'denied' : 'allowed' } : e))).map((e) => JSON.stringify(e));
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(50, 150, rewritten)), { ok: false, code: 'audit_head_differs', firstBadSeq: 150, count: 100, reason: /end checkpoint/ }, 'a consistent rewrite inside misses the end checkpoint');

  // A start checkpoint whose signature is wrong: nothing is verified.
  for (const [what, range] of [
    ['signed by another key', { start: signCheckpoint(50, events[49]!.hash, other.privateKey), end }],
    ['signed for another hash', { start: { ...start, hash: events[48]!.hash }, end }],
    ['a signature of another seq', { start: { ...start, signature: at(51).signature }, end }],
    ['not a signature', { start: { ...start, signature: 'x' }, end }],
  ] as const) {
    const r = new RangeVerifier(range, signer.publicKey);
    t.equal(r.push(lines[50]!), false, `${what}: no line is taken`);
    t.same(r.result(), { ok: false, code: 'audit_checkpoint_unsigned', count: 0, firstBadSeq: 50, reason: 'the start checkpoint (seq 50) is not signed by the trusted key' }, `start ${what}`);
  }
  t.match(feed(new RangeVerifier({ start, end: signCheckpoint(150, events[149]!.hash, other.privateKey) }, signer.publicKey), rangeLines(50, 150)), { ok: false, code: 'audit_checkpoint_unsigned', firstBadSeq: 150, reason: /the end checkpoint/ }, 'an end signed by another key');
  t.match(feed(new RangeVerifier({ start, end }, other.publicKey), rangeLines(50, 150)), { ok: false, code: 'audit_checkpoint_unsigned', firstBadSeq: 50 }, 'a key other than the signer\'s');

  // A range that does not reach its end, runs past it, or does not start right after the start.
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(50, 140)), { ok: false, code: 'audit_head_not_reached', firstBadSeq: null, count: 90, reason: /ends at seq 140, before the end checkpoint's seq 150/ }, 'cut short');
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(50, 160)), { ok: false, code: 'audit_range_overrun', firstBadSeq: 151, count: 100 }, 'past the end');
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(51, 150)), { ok: false, code: 'audit_chain_broken', firstBadSeq: 51, count: 0 }, 'the first event missing');
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), rangeLines(40, 150)), { ok: false, code: 'audit_chain_broken', firstBadSeq: 51, count: 0 }, 'events before the start');
  t.match(feed(new RangeVerifier({ start: end, end: start }, signer.publicKey), []), { ok: false, code: 'audit_head_not_reached', reason: /not after the start/ }, 'an end before the start');
  t.match(feed(new RangeVerifier({ start, end }, signer.publicKey), [...rangeLines(50, 60), '{not json']), { ok: false, code: 'audit_line_malformed', firstBadSeq: 61, count: 10 }, 'a line that is not JSON');
});
