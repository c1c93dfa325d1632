import type { Role } from '../access/policy.js';

/**
 * Claims of an access token: the auth service signs them, the auth plugin verifies them. `sid`
 * ties the token to a session that every request re-checks.
 */
export interface AccessClaims {
  sub: string;
  /** seconds since the epoch; set by the signer */
  exp?: number;
  sid: string;
  role: Role;
  org?: string;
}
