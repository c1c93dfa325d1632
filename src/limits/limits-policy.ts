import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

const Seconds = (max: number) => Type.Integer({ minimum: 1, maximum: max });
const DAY = 86_400;

const Wait = Type.Object({ freeFailures: Type.Integer({ minimum: 1, maximum: 1000 }), firstWaitSeconds: Seconds(DAY), maxWaitSeconds: Seconds(7 * DAY) }, { additionalProperties: false });
const Lock = Type.Object(
  { failuresBeforeLock: Type.Integer({ minimum: 1, maximum: 100 }), forgetAfterSeconds: Seconds(7 * DAY), firstLockSeconds: Seconds(7 * DAY), maxLockSeconds: Seconds(30 * DAY), locksForgottenAfterSeconds: Seconds(30 * DAY) },
  { additionalProperties: false },
);
const PerUser = Type.Object({ max: Type.Integer({ minimum: 1, maximum: 1_000_000 }), windowSeconds: Seconds(DAY) }, { additionalProperties: false });

const LimitsFileSchema = Type.Object(
  {
    version: Type.Literal(1),
    password: Type.Object(
      {
        forgetAfterSeconds: Seconds(7 * DAY),
        perAddress: Wait,
        perAccount: Type.Object({ ...Wait.properties, trustedAddressDays: Type.Integer({ minimum: 0, maximum: 365 }) }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    totp: Lock,
    recovery: Lock,
    perUser: Type.Object({ auditExport: PerUser, auditVerify: PerUser, caseList: PerUser }, { additionalProperties: false }),
    // The case list's saved views each staff member may keep (the console lists them all at once).
    savedViews: Type.Object({ maxPerUser: Type.Integer({ minimum: 1, maximum: 200 }) }, { additionalProperties: false }),
    filing: Type.Object(
      {
        ceilingBytesPerHour: Type.Integer({ minimum: 65_536, maximum: 1024 ** 4 }),
        smallFieldMaxChars: Type.Integer({ minimum: 256, maximum: 1024 * 1024 }),
        uploadCeilingBytesPerHour: Type.Integer({ minimum: 65_536, maximum: 1024 ** 4 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type LimitsPolicy = Readonly<Static<typeof LimitsFileSchema>>;
export type LockPolicy = Static<typeof Lock>;
export type WaitPolicy = Static<typeof Wait>;
export type PerUserLimit = keyof LimitsPolicy['perUser'];

/** policies/limits.yaml, validated: the service refuses to start on any problem. */
export function parseLimitsPolicy(raw: unknown, source = 'limits policy'): LimitsPolicy {
  const errors = Value.Errors(LimitsFileSchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const file = raw as LimitsPolicy;
  const p = file.password;
  if (p.perAccount.freeFailures <= p.perAddress.freeFailures) {
    throw new PolicyError(`${source}: /password/perAccount/freeFailures must be higher than /password/perAddress/freeFailures, or one address could lock the account for everyone`);
  }
  for (const [path, w] of [['/password/perAddress', p.perAddress], ['/password/perAccount', p.perAccount]] as const) {
    if (w.maxWaitSeconds < w.firstWaitSeconds) throw new PolicyError(`${source}: ${path}/maxWaitSeconds is shorter than firstWaitSeconds`);
  }
  for (const [path, l] of [['/totp', file.totp], ['/recovery', file.recovery]] as const) {
    if (l.maxLockSeconds < l.firstLockSeconds) throw new PolicyError(`${source}: ${path}/maxLockSeconds is shorter than firstLockSeconds`);
  }
  return Object.freeze(file);
}

export function loadLimitsPolicy(policiesDir: string): LimitsPolicy {
  return loadPolicyFile(policiesDir, 'limits.yaml', parseLimitsPolicy);
}
