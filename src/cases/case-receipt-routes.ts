import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ctxOf } from '../plugins/context.js';
import type { CaseReceiptService } from './case-receipt-service.js';
import { routeOf } from '../contracts/operation.js';
import * as api from '../contracts/case-receipt.js';

/**
 * A defender's lost or seized receipt replaced by a new one: a re-key to the new receipt's key,
 * prepared by the officer's client (SDK `prepareReceiptReissue`) from the re-key bundle.
 */
const caseReceiptRoutes: FastifyPluginAsyncTypebox<{ receipts: CaseReceiptService }> = async (fastify, { receipts }) => {
  fastify.route({
    ...routeOf(api.reissueReceipt),
    config: { action: 'case.reissue_receipt' },
    bodyLimit: Math.max(fastify.config.BODY_LIMIT, api.REISSUE_BODY_LIMIT),
    handler: async (request) => receipts.reissue(ctxOf(request), request.params.caseId, request.body),
  });
};

export default caseReceiptRoutes;
