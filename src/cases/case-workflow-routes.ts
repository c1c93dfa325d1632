import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from 'typebox';
import { Uuid, responses } from '../lib/schemas.js';
import { ctxOf } from '../plugins/context.js';
import type { CaseWorkflowService } from './case-workflow-service.js';
import type { TransitionRule, WorkflowPolicy } from './workflow-policy.js';
import { CaseView } from './case-view-schemas.js';

const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why: kept on the timeline and in the audit log (no sensitive details: they belong in sealed notes)' });

/** A request body for the OpenAPI document: what a client sends for this transition. */
function exampleFor(rule: TransitionRule, workflow: WorkflowPolicy): Record<string, string> {
  return {
    ...(rule.requires.includes('reason') || rule.to === 'closed' ? { reason: `${rule.name.replace(/_/g, ' ')}: motif consigné au dossier, sans détail sensible` } : {}),
    ...(rule.requires.includes('closeReason') ? { closeReason: workflow.closeReasons.find((r) => r === 'risk_ceased') ?? workflow.closeReasons[0]! } : {}),
    ...(rule.assigns ? { assigneeId: '3f1c2a9e-5b7d-4e8a-9c0f-2d6b8e4a1c37' } : {}),
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

/**
 * One route per transition of policies/workflow.yaml (POST /v1/cases/:caseId/<transition>), each
 * declaring the transition's own action, so the access matrix and the OpenAPI document follow
 * the policy.
 */
const caseWorkflowRoutes: FastifyPluginAsyncTypebox<{ workflow: WorkflowPolicy; service: CaseWorkflowService }> = async (fastify, { workflow, service }) => {
  for (const rule of workflow.transitions.values()) {
    // Built from the policy, so typed loosely here; the service checks the input again.
    const body: TSchema = Type.Object(
      {
        reason: rule.requires.includes('reason') ? Reason : Type.Optional(Reason),
        ...(rule.requires.includes('closeReason') ? { closeReason: Type.Union(workflow.closeReasons.map((r) => Type.Literal(r))) } : {}),
        ...(rule.assigns ? { assigneeId: Type.Optional(Uuid) } : {}),
      },
      { additionalProperties: false, examples: [exampleFor(rule, workflow)] },
    );
    const from = (rule.from as readonly string[]).join(', ');
    fastify.post(`/v1/cases/:caseId/${rule.name.replace(/_/g, '-')}`, {
      config: { action: rule.action },
      schema: {
        operationId: transitionOperationId(rule.name),
        tags: ['workflow'],
        summary: rule.description,
        description: `From ${from} to ${String(rule.to)}.${rule.requires.length ? ` Requires ${rule.requires.join(' and ')}.` : ''}`,
        security: [{ bearer: [] }],
        params: Type.Object({ caseId: Uuid }),
        body,
        response: responses({ 200: CaseView }, [401, 403, 404, 409]),
      },
      handler: async (request) => service.transition(ctxOf(request), request.params.caseId, rule.name, request.body as { reason?: string; closeReason?: string; assigneeId?: string }),
    });
  }

  fastify.post('/v1/cases/:caseId/urgency', {
    config: { action: 'case.urgency' },
    schema: {
      operationId: 'setCaseUrgency',
      tags: ['workflow'],
      summary: 'Confirm or lift the urgency (life or physical integrity in imminent danger), with a reason',
      security: [{ bearer: [] }],
      params: Type.Object({ caseId: Uuid }),
      body: Type.Object({ urgent: Type.Boolean(), reason: Reason }, { additionalProperties: false, examples: [{ urgent: true, reason: 'Menace de mort déclarée, auteur identifié, passage à l’acte possible cette semaine' }] }),
      response: responses({ 200: CaseView }, [401, 403, 404, 409]),
    },
    handler: async (request) => service.setUrgency(ctxOf(request), request.params.caseId, request.body.urgent, request.body.reason),
  });
};

export default caseWorkflowRoutes;
