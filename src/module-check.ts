import { PolicyError, type AccessPolicy } from './access/policy.js';

/** What a module declares of the access policy (src/module.ts). */
export interface ModulePermissions {
  readonly name: string;
  /** The access-policy actions this module's routes and services decide on. */
  readonly permissions: readonly string[];
}

/**
 * Checks the modules against the access policy: every action a module names must exist in it,
 * and every action of the policy must belong to a module (an action nobody uses is a stale entry
 * or a module missing from the list). Returns the problems, one line each.
 */
export function checkModulePermissions(modules: readonly ModulePermissions[], actions: Iterable<string>): string[] {
  const defined = new Set(actions);
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const m of modules) {
    for (const action of m.permissions) {
      if (!defined.has(action)) problems.push(`module ${m.name} names the action ${action}, which policies/access.yaml does not define`);
      const other = owner.get(action);
      if (other && other !== m.name) problems.push(`the action ${action} is named by two modules (${other}, ${m.name})`);
      owner.set(action, m.name);
    }
  }
  for (const action of defined) if (!owner.has(action)) problems.push(`the action ${action} of policies/access.yaml belongs to no module of src/modules.ts`);
  const names = modules.map((m) => m.name);
  for (const n of new Set(names)) if (names.indexOf(n) !== names.lastIndexOf(n)) problems.push(`two modules are named ${n}`);
  return problems;
}

/** Stops the start (a PolicyError, printed without a stack) when the modules and the access policy disagree. */
export function assertModulesMatchPolicy(modules: readonly ModulePermissions[], access: AccessPolicy): void {
  const problems = checkModulePermissions(modules, access.keys());
  if (problems.length > 0) throw new PolicyError(`the modules and policies/access.yaml disagree:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
