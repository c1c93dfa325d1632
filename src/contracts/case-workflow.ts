import { Type, type TSchema } from 'typebox';
import { KeyId, Uuid, Versioned, responses } from '../lib/schemas.js';
import { ex } from '../lib/openapi-examples.js';
import { CaseView } from './case-view.js';
import { VERIFICATION_STATUSES, type VerificationStatus } from './case-verification.js';
import { operation } from './operation.js';
import { transitionPath } from './routes.js';

export const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why: kept on the timeline and in the audit log (no sensitive details: they belong in sealed notes)' });

/** What the operation of a transition needs of its rule in policies/workflow.yaml. */
export interface TransitionRuleView {
  name: string;
  description: string;
  from: readonly string[];
  to?: string | undefined;
  requires: readonly string[];
  assigns?: boolean | undefined;
  handsOver?: boolean | undefined;
}

/** What the operations need of the workflow policy. */
export interface WorkflowView {
  closeReasons: readonly string[];
  declineReasons: ReadonlyArray<{ code: string }>;
}

/** A request body for the OpenAPI document: what a client sends for this transition. */
function exampleFor(rule: TransitionRuleView, workflow: WorkflowView): Record<string, string> {
  return {
    ...(rule.requires.includes('reason') || rule.to === 'closed' ? { reason: `${rule.name.replace(/_/g, ' ')}: motif consigné au dossier, sans détail sensible` } : {}),
    ...(rule.requires.includes('closeReason') ? { closeReason: workflow.closeReasons.find((r) => r === 'risk_ceased') ?? workflow.closeReasons[0]! } : {}),
    ...(rule.requires.includes('declineReason') ? { declineReason: workflow.declineReasons[0]!.code } : {}),
    ...(rule.assigns ? { assigneeId: '3f1c2a9e-5b7d-4e8a-9c0f-2d6b8e4a1c37' } : {}),
    ...(rule.handsOver ? { keyId: ex.keyId, envelope: ex.envelope } : {}),
  };
}

/**
 * The transition's operationId, `request_info` -> `requestCaseInfo` (its verb, "Case", the rest):
 * derived from the name, as the URL is, so it stays as stable as the route itself.
 */
export function transitionOperationId(name: string): string {
  const [verb = '', ...rest] = name.split('_');
  return [verb, 'case', ...rest].map((w, i) => (i === 0 ? w : `${w.charAt(0).toUpperCase()}${w.slice(1)}`)).join('');
}

/** What any transition may carry; each transition of the policy asks for its own part of it. */
export interface TransitionBody {
  reason?: string;
  closeReason?: string;
  declineReason?: string;
  assigneeId?: string;
  /** a transition that hands the case over: the case key sealed to the new assignee's current key */
  keyId?: string;
  envelope?: string;
}

/**
 * The operation of one transition of policies/workflow.yaml: built from the policy, so it is not
 * in the static route table; the typed client reaches it through `transition()`.
 */
export function transitionOperation(rule: TransitionRuleView, workflow: WorkflowView) {
  // Built from the policy, so typed loosely here; the service checks the input again.
  const body: TSchema = Type.Object(
    {
      reason: rule.requires.includes('reason') ? Reason : Type.Optional(Reason),
      ...(rule.requires.includes('closeReason') ? { closeReason: Type.Union(workflow.closeReasons.map((r) => Type.Literal(r))) } : {}),
      ...(rule.requires.includes('declineReason') ? { declineReason: Type.Union(workflow.declineReasons.map((r) => Type.Literal(r.code)), { description: 'why, as a code the statistics count (policies/workflow.yaml declineReasons)' }) } : {}),
      ...(rule.assigns ? { assigneeId: rule.handsOver ? Uuid : Type.Optional(Uuid) } : {}),
      ...(rule.handsOver ? { keyId: KeyId, envelope: Versioned(200, 'v1.<b64u(crypto_box_seal(case key, new assignee public key))>') } : {}),
    },
    { additionalProperties: false, examples: [exampleFor(rule, workflow)] },
  );
  const from = rule.from.join(', ');
  return {
    method: 'POST' as const,
    url: transitionPath(rule.name),
    schema: {
      operationId: transitionOperationId(rule.name),
      tags: ['workflow'],
      summary: rule.description,
      description: `From ${from} ${rule.to ? `to ${rule.to}` : '(the case stays in its state)'}.${rule.requires.length ? ` Requires ${rule.requires.join(' and ')}.` : ''}`,
      security: [{ bearer: [] }],
      params: Type.Object({ caseId: Uuid }),
      body,
      response: responses({ 200: CaseView }, [401, 403, 404, 409]),
    },
  };
}

export const setCaseUrgency = operation('setCaseUrgency', {
  tags: ['workflow'],
  summary: 'Confirm or lift the urgency (life or physical integrity in imminent danger), with a reason',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object({ urgent: Type.Boolean(), reason: Reason }, { additionalProperties: false, examples: [{ urgent: true, reason: 'Menace de mort déclarée, auteur identifié, passage à l’acte possible cette semaine' }] }),
  response: responses({ 200: CaseView }, [401, 403, 404, 409]),
});

export const setCaseVerification = operation('setCaseVerification', {
  tags: ['workflow'],
  summary: 'Set whether the alleged violation was verified (alleged, verified, not_verified), with a reason',
  description:
    'A code the service sees and counts in its statistics (SDG indicator 16.10.1 counts verified cases), never free text; the reason goes to the timeline and the audit log. Every new case starts alleged; not_stated (cases filed before the status) cannot be chosen. Refused on a purged case.',
  security: [{ bearer: [] }],
  params: Type.Object({ caseId: Uuid }),
  body: Type.Object(
    {
      status: Type.Unsafe<VerificationStatus>(
        Type.Union(VERIFICATION_STATUSES.map((s) => Type.Literal(s)), { description: 'alleged: as the defender reports it; verified: confirmed from independent sources; not_verified: staff could not confirm it' }),
      ),
      reason: Reason,
    },
    { additionalProperties: false, examples: [{ status: 'verified', reason: 'Arrestation confirmée par le registre du commissariat et deux témoins indépendants' }] },
  ),
  response: responses({ 200: CaseView }, [401, 403, 404, 409]),
});
