import type { Static, TSchema } from 'typebox';
import type { MediaResponse } from '../lib/schemas.js';
import { ROUTES, type OperationId } from './routes.js';

/** What an operation's schema holds besides its id: the OpenAPI fields and the TypeBox schemas of each part. */
export interface OperationSchema {
  tags: string[];
  summary: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  params?: TSchema;
  querystring?: TSchema;
  headers?: TSchema;
  body?: TSchema;
  produces?: string[];
  response: Record<number, TSchema | MediaResponse>;
}

/**
 * One operation of the API: its id, method and URL (from the route table, which the browser
 * client needs without the schemas) and its schema, which the route registers and the typed
 * client takes its types from.
 */
export interface Operation<Id extends OperationId = OperationId, S extends OperationSchema = OperationSchema> {
  readonly operationId: Id;
  readonly method: (typeof ROUTES)[Id][0];
  readonly url: (typeof ROUTES)[Id][1];
  readonly schema: { operationId: Id } & S;
}

export function operation<Id extends OperationId, S extends OperationSchema>(operationId: Id, schema: S): Operation<Id, S> {
  const [method, url] = ROUTES[operationId];
  return { operationId, method, url, schema: { operationId, ...schema } };
}

/** The route options an operation fixes (method, URL, schema): a route file adds its config and handler. */
export function routeOf<Id extends OperationId, S extends OperationSchema>(op: Operation<Id, S>): { method: Operation<Id, S>['method']; url: Operation<Id, S>['url']; schema: { operationId: Id } & S } {
  return { method: op.method, url: op.url, schema: op.schema };
}

/** The body an operation takes, as TypeScript: a service whose input is the body as sent names it so. */
export type BodyOf<O extends { schema: { body?: TSchema } }> = O['schema'] extends { body: infer B extends TSchema } ? Static<B> : never;
