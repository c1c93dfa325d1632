import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, FastifyPluginOptions, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Container } from './container.js';
import type { Tx } from './db/client.js';
import type { OutboxHandler } from './outbox/outbox-relay.js';
import type { OutboxRow } from './outbox/outbox.js';
import type { AppTopics, TopicCatalogue, TopicPattern, TopicsMatching } from './outbox/topics.js';
import type { Logger } from './lib/logger.js';
import type { ModulePermissions } from './module-check.js';

export { assertModulesMatchPolicy, type ModulePermissions } from './module-check.js';

/**
 * A domain module: what it adds to the API (routes), to the access policy (the actions it
 * names), and to the workers (outbox topics, queues and their processors). src/modules.ts lists
 * them; the app registers their routes, the workers start their parts, and the start fails when
 * a module names an action policies/access.yaml does not define.
 */
export interface AppModule extends ModulePermissions {
  readonly routes: readonly ModuleRoute[];
  /** The outbox topics (exact, or a family `x.*`) this module's worker part handles. */
  readonly outboxTopics: readonly string[];
  /** Topics this module adds to the application's catalogue (src/outbox/topics.ts), with their payload schemas. */
  readonly topics: TopicCatalogue;
  /** Starts the module's part of a worker process (queues, processors, outbox handlers). */
  startWorker(ctx: ModuleWorkerContext): Promise<StartedModuleWorker>;
}

/** A route plugin and how it gets its services from the container: the one way routes receive them. */
export interface ModuleRoute {
  register(fastify: FastifyInstance, container: Container): Promise<void>;
}

type RoutePlugin<O extends FastifyPluginOptions> = FastifyPluginAsync<O, RawServerDefault, TypeBoxTypeProvider> | FastifyPluginAsync<O> | FastifyPluginCallback<O>;

/**
 * A route plugin of the module, loaded when the app registers it (so a worker process never
 * loads the HTTP layer), with the options (its services) it takes from the container.
 */
export function route<O extends FastifyPluginOptions>(load: () => Promise<{ default: RoutePlugin<O> }>, options: (c: Container) => O): ModuleRoute {
  return {
    async register(fastify, container) {
      const plugin = (await load()).default;
      await fastify.register(plugin as FastifyPluginAsync<O>, options(container));
    },
  };
}

/**
 * A handler as the process's one relay stores it, for whatever topic it claimed (src/outbox/outbox-relay.ts);
 * `tx` is the claiming transaction. Modules write typed handlers (see `ModuleDefinition.worker.outbox`).
 */
export type ModuleOutboxHandler = (rows: Array<OutboxRow<string, TopicCatalogue>>, tx: Tx) => Promise<void | (() => Promise<void>)>;

/** A job scheduler of a queue that the schedule keeper re-creates if Redis lost it. */
export interface ModuleSchedule {
  queue: Pick<Queue, 'name' | 'getJobScheduler'>;
  id: string;
  create(): Promise<void>;
}

/** What a module's worker part is started with, in a worker process. */
export interface ModuleWorkerContext {
  container: Container;
  log: Logger;
  /** BullMQ workers' connection (waits for Redis). */
  connection: Redis;
  /** Where jobs are added from: fails at once while Redis is down, so no claim waits on it. */
  producer: Redis;
  /** Logs a BullMQ worker's errors and failures, counts it in the heartbeat, closes it first on shutdown. */
  watch<D, R, N extends string>(worker: Worker<D, R, N>): void;
  /** Keeps a job scheduler in Redis (re-created if a Redis loss took it). */
  keepSchedule(schedule: ModuleSchedule): void;
}

export interface StartedModuleWorker {
  outbox: ReadonlyArray<readonly [topic: string, handler: ModuleOutboxHandler]>;
  /** Readers of other modules' topics, beside their handlers (OutboxRelay.tap). */
  taps: ReadonlyArray<readonly [topic: string, handler: ModuleOutboxHandler]>;
  close(): Promise<void>;
}

/** What a module's worker part returns once started: something to close, at least. */
export interface ModuleWorkerPart {
  close?(): Promise<void>;
}

export interface ModuleDefinition<P extends ModuleWorkerPart, C extends TopicCatalogue> {
  name: string;
  routes?: readonly ModuleRoute[];
  permissions?: readonly string[];
  /** Topics of its own (a module whose topics are not in src/outbox/topics.ts), with their payload schemas. */
  topics?: C;
  worker?: {
    /**
     * Starts the module's queues and processors (each BullMQ worker through `ctx.watch`); it
     * imports the worker code it runs, so an API process never loads it.
     */
    start?(ctx: ModuleWorkerContext): Promise<P> | P;
    /** Outbox topics (exact, or a family `x.*`) and their handlers, registered with the process's one relay. */
    outbox?: { readonly [K in TopicPattern<C>]?: (part: P, ctx: ModuleWorkerContext) => OutboxHandler<TopicsMatching<K, C>, C> };
    /**
     * Topics another module handles that this one reads too, in the same claim (OutboxRelay.tap):
     * chosen at start, so a policy may name them.
     */
    taps?(part: P, ctx: ModuleWorkerContext): ReadonlyArray<readonly [topic: string, handler: ModuleOutboxHandler]>;
  };
}

/** Declares a module; its worker part's type stays inside (the list holds plain AppModules). */
export function defineModule<P extends ModuleWorkerPart = ModuleWorkerPart, C extends TopicCatalogue = AppTopics>(def: ModuleDefinition<P, C>): AppModule {
  // The relay hands a handler only rows of the topics it claimed, each checked against its schema
  // first: the typed handler of a pattern is the stored handler of that pattern.
  type Handlers = Readonly<Record<string, (part: P, ctx: ModuleWorkerContext) => ModuleOutboxHandler>>;
  const outbox = (def.worker?.outbox ?? {}) as Handlers;
  return {
    name: def.name,
    routes: def.routes ?? [],
    permissions: def.permissions ?? [],
    outboxTopics: Object.keys(outbox),
    topics: def.topics ?? {},
    async startWorker(ctx) {
      const part = ((await def.worker?.start?.(ctx)) ?? {}) as P;
      return {
        outbox: Object.entries(outbox).map(([topic, handler]) => [topic, handler(part, ctx)] as const),
        taps: def.worker?.taps?.(part, ctx) ?? [],
        close: async () => {
          await part.close?.();
        },
      };
    },
  };
}
