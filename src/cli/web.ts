import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../lib/paths.js';
import type { CliIo } from './cli-io.js';
import { buildWebInto, MANIFEST_FILE, parseDeploymentManifest } from './web-build.js';
import { newSigningKey, publicKeyOf, readSigningKey, signManifest } from './web-signing.js';
import { webVerify } from './web-verify.js';

/**
 * `egide web build | verify | keygen | sign`: the web applications as a deployment publishes
 * them, and how anyone checks that a deployment serves what the sources build.
 */
export function addWebCommands(program: Command, io: CliIo, setCode: (code: number) => void): void {
  const web = program.command('web').description("the web applications (the defender's page and the staff console): build, verify a deployment, sign its manifest");
  const defaultDir = () => join(projectRoot(), 'dist', 'web');

  web
    .command('build')
    .description('build both web applications reproducibly, with the deployment manifest beside them (served at /.well-known/egide/manifest.json)')
    .option('--intake-key <fingerprint>', "pin the mechanism's intake key in the defender's page: its keyId (22 characters, as `egide bootstrap` prints it) or its fingerprint (32 hex digits, as the API prints it); the page then refuses a server offering any other key")
    .option('--out <dir>', 'where to write (the WEB_DIR the service serves)', defaultDir())
    .option('--commit <sha>', 'the commit to record when the sources are not a git checkout (default: git rev-parse HEAD)')
    .action(async (opts: { intakeKey?: string; out: string; commit?: string }) => {
      const log = await buildWebInto(resolve(opts.out), { ...(opts.intakeKey ? { intakeKey: opts.intakeKey } : {}), ...(opts.commit ? { commit: opts.commit } : {}) });
      io.stdout.write(log);
      setCode(0);
    });

  web
    .command('verify')
    .description("fetch a running deployment's manifest and every file it serves, and compare them byte for byte with a build of this checkout with the same inputs (exit 0 when identical, 1 otherwise)")
    .argument('<base-url>', 'the deployment, e.g. https://protection.example.org')
    .option('--signing-key <key>', "the operator's Ed25519 public key (base64url, or a file holding it): the manifest's signature must hold")
    .action(async (baseUrl: string, opts: { signingKey?: string }) => {
      setCode(await webVerify(baseUrl, opts.signingKey ? { signingKey: opts.signingKey } : {}, io));
    });

  web
    .command('keygen')
    .description('make an Ed25519 key pair to sign deployment manifests with; keep the private key offline, publish the public key')
    .requiredOption('--out <file>', 'where to write the private key (PKCS#8 PEM, readable by you only); the public key goes to <file>.pub')
    .action(async (opts: { out: string }) => {
      const file = resolve(opts.out);
      if (existsSync(file)) {
        io.stderr.write(`egide: ${file} exists: not overwritten\n`);
        setCode(1);
        return;
      }
      const { privatePem, publicKey } = newSigningKey();
      await writeFile(file, privatePem, { mode: 0o600, flag: 'wx' });
      await writeFile(`${file}.pub`, `${publicKey}\n`, { flag: 'wx' });
      io.stdout.write(`private key: ${file} (keep it offline)\npublic key (publish it; \`egide web verify --signing-key\`): ${publicKey}\n`);
      setCode(0);
    });

  web
    .command('sign')
    .description('sign a build\'s deployment manifest with an offline Ed25519 key: writes egide-manifest.json.sig beside it (served at /.well-known/egide/manifest.json.sig)')
    .requiredOption('--key <file>', 'the private key (`egide web keygen`)')
    .option('--dir <dir>', 'the build to sign (a copy of the deployment\'s WEB_DIR)', defaultDir())
    .action(async (opts: { key: string; dir: string }) => {
      const manifestFile = join(resolve(opts.dir), MANIFEST_FILE);
      const bytes = await readFile(manifestFile);
      const manifest = parseDeploymentManifest(bytes);
      const key = readSigningKey(resolve(opts.key));
      await writeFile(`${manifestFile}.sig`, `${signManifest(bytes, key)}\n`);
      io.stdout.write(`signed ${manifestFile} (commit ${manifest.commit}) with the key ${publicKeyOf(key)}: ${manifestFile}.sig\n`);
      setCode(0);
    });
}
