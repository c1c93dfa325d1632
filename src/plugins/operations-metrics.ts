import fp from 'fastify-plugin';
import { statfs } from 'node:fs/promises';
import { Gauge } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import { ESCALATION_STEPS, type OperationalFigures, type OperationsRepository } from '../health/operations-repository.js';
import { signerCertificateNotAfter } from '../files/timestamp-token.js';

export interface OperationsMetricsOptions {
  operations: Pick<OperationsRepository, 'figures' | 'latestTimestampToken'>;
  clock: Clock;
  /** The workers sign an audit checkpoint this often (AUDIT_CHECKPOINT_INTERVAL_SECONDS): the alert's yardstick. */
  auditCheckpointIntervalSeconds: number;
  /** The disk evidence store's directory; null when files are in an object store (no disk to watch). */
  evidenceDirectory: string | null;
  /** Whether evidence files are time-stamped (TIMESTAMP_AUTHORITY_URL): then the TSA certificate's expiry is watched. */
  timestamps: boolean;
  /** How long the TSA certificate's expiry, read from the latest stored token, is kept between reads (default 1 h). */
  certificateRefreshMs?: number;
}

/**
 * The figures the shipped alert rules (deploy/prometheus/alerts.yml) watch beyond requests and
 * queues: escalations, the outbox, the audit chain and the evidence disk. Read from PostgreSQL
 * and the file system when Prometheus scrapes, so they are never stale and cost nothing between
 * scrapes; counts and ages only, no label but the ladder step.
 */
export default fp<OperationsMetricsOptions>(
  async function operationsMetricsPlugin(fastify, opts) {
    const registers = [fastify.metrics];

    // Every gauge's collect runs in the same scrape: one read of PostgreSQL serves them all.
    let pending: Promise<OperationalFigures | null> | null = null;
    const read = (): Promise<OperationalFigures | null> =>
      (pending ??= opts.operations
        .figures(opts.clock.now())
        .catch((err: unknown) => {
          fastify.log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'metrics: the operational figures could not be read');
          return null;
        })
        .finally(() => {
          pending = null;
        }));
    /** A gauge set from the figures at each scrape; absent (no sample) while PostgreSQL does not answer. */
    const figureGauge = (name: string, help: string, value: (f: OperationalFigures) => number | null) => {
      const gauge: Gauge = new Gauge({
        name,
        help,
        registers,
        async collect() {
          const f = await read();
          // prom-client resets a gauge without labels to 0: removing its one series leaves no sample.
          gauge.reset();
          const v = f ? value(f) : null;
          if (v === null) gauge.remove({});
          else gauge.set(v);
        },
      });
    };

    new Gauge({
      name: 'egide_database_up',
      help: 'Whether PostgreSQL answered the operational queries of this scrape (1) or not (0)',
      registers,
      async collect() {
        this.set((await read()) ? 1 : 0);
      },
    });
    figureGauge('egide_deadlines_overdue_unescalated', 'Open deadlines past their due time whose level-1 escalation has not fired', (f) => f.overdueUnescalated);
    figureGauge('egide_deadlines_overdue_unescalated_oldest_seconds', 'How long the oldest open deadline with an unfired level-1 escalation has been past due (0 when none)', (f) => f.oldestOverdueUnescalatedSeconds);
    const lateness = new Gauge({
      name: 'egide_escalation_lateness_seconds',
      help: 'Largest delay between due time and firing among the escalations (level 1, level 2) fired in the last hour, by step (0 when none)',
      labelNames: ['step'] as const,
      registers,
      async collect() {
        const f = await read();
        lateness.reset();
        if (f) for (const step of ESCALATION_STEPS) lateness.set({ step }, f.escalationLatenessSeconds[step]);
      },
    });
    figureGauge('egide_outbox_pending', 'Outbox rows written by committed transactions and not yet handed to the queues', (f) => f.outboxPending);
    figureGauge('egide_outbox_oldest_pending_seconds', 'Age of the oldest outbox row not yet handed to the queues (0 when none)', (f) => f.oldestOutboxPendingSeconds);
    figureGauge('egide_audit_unchained_events', 'Audit events recorded but not yet chained by the workers', (f) => f.auditUnchained);
    figureGauge('egide_audit_checkpoint_age_seconds', 'Seconds since the last signed audit checkpoint (absent before the first)', (f) => f.auditCheckpointAgeSeconds);
    new Gauge({
      name: 'egide_audit_checkpoint_interval_seconds',
      help: 'How often the workers are configured to sign an audit checkpoint (AUDIT_CHECKPOINT_INTERVAL_SECONDS)',
      registers,
    }).set(opts.auditCheckpointIntervalSeconds);

    const directory = opts.evidenceDirectory;
    if (directory !== null) {
      const disk = async () => statfs(directory).catch(() => null);
      const free = new Gauge({
        name: 'egide_evidence_store_free_bytes',
        help: 'Bytes free for an unprivileged writer on the file system of the disk evidence store',
        registers,
        async collect() {
          const s = await disk();
          if (s) free.set(s.bavail * s.bsize);
          else free.remove({});
        },
      });
      const size = new Gauge({
        name: 'egide_evidence_store_size_bytes',
        help: 'Size of the file system of the disk evidence store',
        registers,
        async collect() {
          const s = await disk();
          if (s) size.set(s.blocks * s.bsize);
          else size.remove({});
        },
      });
    }

    if (opts.timestamps) {
      // Read from the newest stored token at most once per certificateRefreshMs (a table scan, see
      // the repository); after a failed read, the last value is kept and the read tried a minute later.
      const refreshMs = opts.certificateRefreshMs ?? 3_600_000;
      let notAfter: Date | null = null;
      let nextReadAt = 0;
      const expiry = new Gauge({
        name: 'egide_timestamp_authority_certificate_expiry_timestamp_seconds',
        help: 'When the certificate that signed the newest stored time-stamp token expires (Unix time); absent before the first token',
        registers,
        async collect() {
          if (performance.now() >= nextReadAt) {
            try {
              const token = await opts.operations.latestTimestampToken();
              notAfter = token ? signerCertificateNotAfter(token) : null;
              nextReadAt = performance.now() + refreshMs;
            } catch (err) {
              nextReadAt = performance.now() + Math.min(refreshMs, 60_000);
              fastify.log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'metrics: the time-stamp certificate could not be read');
            }
          }
          expiry.reset();
          if (notAfter) expiry.set(notAfter.getTime() / 1000);
          else expiry.remove({});
        },
      });
    }
  },
  { name: 'operations-metrics', dependencies: ['metrics'] },
);
