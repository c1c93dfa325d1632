import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parse } from 'yaml';

export const ROLES = ['defender', 'officer', 'supervisor', 'partner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ['all', 'self', 'own', 'pool', 'assigned', 'participant', 'break_glass', 'organisation', 'key_holder'] as const;
export type Scope = (typeof SCOPES)[number];

export const CONDITIONS = ['proposer', 'decider', 'grantee'] as const;
export type Condition = (typeof CONDITIONS)[number];

const ScopeList = Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { minItems: 1 });
const RoleRule = Type.Union([
  ScopeList,
  Type.Object({ scopes: ScopeList, unless: Type.Optional(Type.Array(Type.Union(CONDITIONS.map((c) => Type.Literal(c))), { minItems: 1 })) }, { additionalProperties: false }),
]);
const ActionRule = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    public: Type.Optional(Type.Boolean()),
    roles: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(ROLES.map((r) => [r, RoleRule])) as Record<Role, typeof RoleRule>), { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const AccessPolicySchema = Type.Object({ version: Type.Literal(1), actions: Type.Record(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]+)+$' }), ActionRule) }, { additionalProperties: false });

export type AccessPolicyFile = Static<typeof AccessPolicySchema>;

/** One role's permission on one action, normalised. */
export interface RolePermission {
  scopes: readonly Scope[];
  unless: readonly Condition[];
}

export interface ActionPolicy {
  action: string;
  description: string;
  public: boolean;
  roles: Partial<Record<Role, RolePermission>>;
}

export type AccessPolicy = ReadonlyMap<string, ActionPolicy>;

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Validates the parsed access policy; the service refuses to start on any problem. */
export function parseAccessPolicy(raw: unknown, source = 'access policy'): AccessPolicy {
  const errors = Value.Errors(AccessPolicySchema, raw);
  if (errors.length > 0) {
    throw new PolicyError(`${source} is invalid:\n${errors.slice(0, 20).map((e) => `  - ${e.instancePath || '/'}: ${e.message}`).join('\n')}`);
  }
  const file = raw as AccessPolicyFile;
  const out = new Map<string, ActionPolicy>();
  for (const [action, rule] of Object.entries(file.actions)) {
    const isPublic = rule.public === true;
    if (isPublic === (rule.roles !== undefined)) {
      throw new PolicyError(`${source}: action ${action} must be either public or list roles, not both or neither`);
    }
    const roles: Partial<Record<Role, RolePermission>> = {};
    for (const [role, r] of Object.entries(rule.roles ?? {}) as Array<[Role, Static<typeof RoleRule>]>) {
      roles[role] = Array.isArray(r) ? { scopes: r, unless: [] } : { scopes: r.scopes, unless: r.unless ?? [] };
    }
    out.set(action, { action, description: rule.description, public: isPublic, roles });
  }
  return out;
}

/**
 * Turns TypeBox errors into lines naming the path. An unknown key is reported as such (TypeBox
 * also reports it as "schema is false" at the key's own path, which says less, so that duplicate
 * is dropped).
 */
export function formatSchemaErrors(errors: ReturnType<typeof Value.Errors>): string {
  const lines: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'boolean') continue;
    const params = e.params as { additionalProperties?: unknown };
    if (e.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
      for (const key of params.additionalProperties) lines.push(`  - ${e.instancePath}/${String(key)}: unknown key "${String(key)}"`);
      continue;
    }
    lines.push(`  - ${e.instancePath || '/'}: ${e.message}`);
  }
  return lines.slice(0, 20).join('\n');
}

/**
 * Reads `policies/<file>` (YAML) and hands it to its parser, which validates it. Every policy
 * file goes through here, so a missing or unreadable file is reported the same way.
 */
export function loadPolicyFile<T>(policiesDir: string, file: string, parseFn: (raw: unknown, source: string) => T): T {
  const path = join(policiesDir, file);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PolicyError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseFn(raw, path);
}

export function loadAccessPolicy(policiesDir: string): AccessPolicy {
  return loadPolicyFile(policiesDir, 'access.yaml', parseAccessPolicy);
}
