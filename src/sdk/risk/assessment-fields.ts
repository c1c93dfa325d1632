/**
 * The sealed parts of an assessment version (workflow.md, "Risk assessment"): the five steps of
 * the analysis of each threat, and the reasoning behind the vulnerability and capacity ratings.
 * Here rather than in the API contract so that the console's page code names them without
 * carrying the contract's schema library.
 */
export const THREAT_STEPS = ['facts', 'pattern', 'objective', 'perpetrator', 'feasibility'] as const;

export const REASONING_FIELDS = ['reasoning.vulnerability', 'reasoning.capacity'] as const;
