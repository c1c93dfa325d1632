import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/config.js';
import { projectRoot } from '../lib/paths.js';
import { loadRiskPolicy, type RiskPolicy } from '../risk/risk-policy.js';

/**
 * policies/risk.yaml for the configured policies directory, resolved as app.ts resolves the
 * others. Loaded once when the services are built, so a malformed file stops the start.
 */
export function riskPolicyFor(config: Pick<Config, 'POLICIES_DIR'>): RiskPolicy {
  return loadRiskPolicy(isAbsolute(config.POLICIES_DIR) ? config.POLICIES_DIR : join(projectRoot(), config.POLICIES_DIR));
}
