import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How the authority answers the next queries:
 * - 'ok': a granted reply to the query received;
 * - 'refuse': openssl's own rejection (a TSA section that accepts only SHA-512, so a SHA-256
 *   query is refused with badAlg, as a real TSA refuses what its policy does not allow);
 * - 'wrong-hash': a granted, well-signed reply to a query for another hash (and another nonce);
 * - 'replay': the last granted reply again, whatever was asked (its nonce is stale);
 * - 'garbage': HTTP 200 with the right content type and bytes that are not DER;
 * - 'http-500': the server failing before any TSA logic.
 */
export type TimestampAuthorityMode = 'ok' | 'refuse' | 'wrong-hash' | 'replay' | 'garbage' | 'http-500';

export interface TimestampAuthority {
  url: string;
  caPem: string;
  tsaCertPem: string;
  /** The temp dir holding the keys, certificates and openssl.cnf (removed by close). */
  dir: string;
  /** Paths in `dir` that `openssl ts -verify` needs. */
  caFile: string;
  tsaCertFile: string;
  requests(): number;
  setMode(mode: TimestampAuthorityMode): void;
  close(): Promise<void>;
}

const POLICY = '1.2.3.4.1';

function cnf(dir: string): string {
  return `
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[tsa_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[tsa]
default_tsa = tsa_ok

[tsa_ok]
dir = ${dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = ${POLICY}
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256

[tsa_refuse]
dir = ${dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = ${POLICY}
digests = sha512
ess_cert_id_alg = sha256
`;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A local RFC 3161 time-stamp authority made of the `openssl ts` a court would verify with:
 * a throw-away CA, a TSA certificate under it (extendedKeyUsage critical timeStamping), and an
 * HTTP server on 127.0.0.1 answering each POSTed query with `openssl ts -reply`.
 */
export async function startTimestampAuthority(
  options: { mode?: TimestampAuthorityMode } = {},
): Promise<TimestampAuthority> {
  let mode: TimestampAuthorityMode = options.mode ?? 'ok';
  let count = 0;
  let seq = 0;
  let lastGranted: Buffer | null = null;
  const dir = await mkdtemp(join(tmpdir(), 'egide-tsa-'));
  try {
    const config = join(dir, 'openssl.cnf');
    await writeFile(config, cnf(dir));
    await writeFile(join(dir, 'serial'), '01\n');
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await openssl(
      ['req', '-config', config, '-new', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt',
        '-days', '2', '-subj', '/CN=egide test CA', '-extensions', 'ca_ext'],
      dir,
    );
    await openssl(
      ['req', '-config', config, '-new', ...ecKey, '-keyout', 'tsa.key', '-out', 'tsa.csr',
        '-subj', '/CN=egide test TSA'],
      dir,
    );
    await openssl(
      ['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '2',
        '-days', '2', '-extfile', config, '-extensions', 'tsa_ext', '-out', 'tsa.crt'],
      dir,
    );
    const caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
    const tsaCertPem = await readFile(join(dir, 'tsa.crt'), 'utf8');

    const reply = async (queryFile: string, section: string): Promise<Buffer> => {
      const out = join(dir, `reply-${seq++}.tsr`);
      await openssl(
        ['ts', '-reply', '-config', config, '-section', section, '-queryfile', queryFile,
          '-inkey', 'tsa.key', '-signer', 'tsa.crt', '-out', out],
        dir,
      );
      const der = await readFile(out);
      await rm(out, { force: true });
      return der;
    };

    const answer = async (query: Buffer): Promise<Buffer> => {
      const queryFile = join(dir, `query-${seq++}.tsq`);
      try {
        await writeFile(queryFile, query);
        switch (mode) {
          case 'refuse':
            return await reply(queryFile, 'tsa_refuse');
          case 'wrong-hash': {
            await openssl(
              ['ts', '-query', '-digest', 'ab'.repeat(32), '-sha256', '-cert', '-out', queryFile],
              dir,
            );
            return await reply(queryFile, 'tsa_ok');
          }
          case 'replay':
            if (lastGranted) return lastGranted;
            lastGranted = await reply(queryFile, 'tsa_ok');
            return lastGranted;
          default:
            lastGranted = await reply(queryFile, 'tsa_ok');
            return lastGranted;
        }
      } finally {
        await rm(queryFile, { force: true });
      }
    };

    const server = createServer((req, res) => {
      void (async () => {
        count++;
        if (req.method !== 'POST') {
          res.writeHead(405).end();
          return;
        }
        const query = await body(req);
        if (mode === 'http-500') {
          res.writeHead(500).end();
          return;
        }
        if (mode === 'garbage') {
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end('not a reply');
          return;
        }
        const der = await answer(query);
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(der);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(400);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/tsa`,
      caPem,
      tsaCertPem,
      dir,
      caFile: join(dir, 'ca.crt'),
      tsaCertFile: join(dir, 'tsa.crt'),
      requests: () => count,
      setMode: (next) => {
        mode = next;
      },
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
