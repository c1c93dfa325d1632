/**
 * What a referral may be for, what it may share and who may receive one without consent
 * (policies/referrals.yaml), loaded and checked at start: a referral policy that names an unknown
 * organisation category or a field name that cannot be bound into associated data would only fail
 * later, in front of a defender.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { PolicyError, loadPolicyFile } from '../access/policy.js';

/** Partner organisation categories (organisations.category, `mechanism` aside). */
export const PARTNER_CATEGORIES = ['ngo', 'lawyers', 'programme', 'state_authority'] as const;
export type PartnerCategory = (typeof PARTNER_CATEGORIES)[number];

const Label = Type.String({ minLength: 1, maxLength: 120 });
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' });
// A field name is part of the packet's associated data (egide/v1/referral/<id>/<field>): the
// SDK's AD parts allow [A-Za-z0-9_.:-]; the policy keeps to the lower-case subset.
const FieldName = Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$' });
const Coded = Type.Object({ code: Code, fr: Label, en: Label }, { additionalProperties: false });
const ReferralPolicySchema = Type.Object(
  {
    version: Type.Literal(1),
    purposes: Type.Array(Coded, { minItems: 1 }),
    fields: Type.Array(Type.Object({ field: FieldName, fr: Label, en: Label }, { additionalProperties: false }), { minItems: 1 }),
    lifeThreat: Type.Object({ eligibleCategories: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type ReferralPolicyFile = Static<typeof ReferralPolicySchema>;

export interface Labelled {
  readonly fr: string;
  readonly en: string;
}

export interface ReferralPolicy {
  readonly purposes: ReadonlyMap<string, Labelled>;
  readonly fields: ReadonlyMap<string, Labelled>;
  /** Categories a supervisor may refer to without consent when a threat to life is imminent. */
  readonly lifeThreatCategories: ReadonlySet<PartnerCategory>;
}

function unique<T>(items: readonly T[], key: (t: T) => string, what: string, source: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const [i, item] of items.entries()) {
    const k = key(item);
    if (out.has(k)) throw new PolicyError(`${source}: /${what}/${i}: ${JSON.stringify(k)} appears twice`);
    out.set(k, item);
  }
  return out;
}

export function parseReferralPolicy(raw: unknown, source = 'referral policy'): ReferralPolicy {
  const errors = Value.Errors(ReferralPolicySchema, raw);
  if (errors.length > 0) throw new PolicyError(`${source} is invalid:\n${[...new Set(errors.map((e) => `  - ${e.instancePath || '/'}: ${e.message}`))].slice(0, 20).join('\n')}`);
  const file = raw as ReferralPolicyFile;
  const purposes = unique(file.purposes, (p) => p.code, 'purposes', source);
  const fields = unique(file.fields, (f) => f.field, 'fields', source);
  const known = new Set<string>(PARTNER_CATEGORIES);
  file.lifeThreat.eligibleCategories.forEach((c, i) => {
    if (!known.has(c)) throw new PolicyError(`${source}: /lifeThreat/eligibleCategories/${i}: unknown organisation category ${JSON.stringify(c)} (known: ${PARTNER_CATEGORIES.join(', ')})`);
  });
  return {
    purposes: new Map([...purposes].map(([k, v]) => [k, { fr: v.fr, en: v.en }])),
    fields: new Map([...fields].map(([k, v]) => [k, { fr: v.fr, en: v.en }])),
    lifeThreatCategories: new Set(file.lifeThreat.eligibleCategories as PartnerCategory[]),
  };
}

export function loadReferralPolicy(policiesDir: string): ReferralPolicy {
  return loadPolicyFile(policiesDir, 'referrals.yaml', parseReferralPolicy);
}
