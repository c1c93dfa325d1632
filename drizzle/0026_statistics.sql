CREATE TABLE "case_stats" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"month" date NOT NULL,
	"dims" text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_counts" (
	"series" text NOT NULL,
	"month" date NOT NULL,
	"a" text NOT NULL,
	"b" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "stats_counts_series_month_a_b_pk" PRIMARY KEY("series","month","a","b")
);
--> statement-breakpoint
CREATE TABLE "stats_deltas" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"series" text NOT NULL,
	"month" date NOT NULL,
	"a" text NOT NULL,
	"b" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_publications" (
	"year" integer PRIMARY KEY NOT NULL,
	"published_at" timestamp (3) with time zone NOT NULL,
	"published_by" uuid NOT NULL,
	"report" jsonb NOT NULL,
	"sha256" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stats_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"time_zone" text NOT NULL,
	"config" jsonb NOT NULL,
	"fingerprint" text NOT NULL,
	CONSTRAINT "stats_settings_one_row" CHECK ("stats_settings"."id")
);
--> statement-breakpoint
ALTER TABLE "case_stats" ADD CONSTRAINT "case_stats_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stats_deltas_series_idx" ON "stats_deltas" USING btree ("series","month");--> statement-breakpoint
-- The statistics roll-up (docs/statistics.md). Triggers on the tables the figures come from append
-- changes to stats_deltas in the transaction of the change; stats_fold() moves them into
-- stats_counts; stats_expected() recounts from scratch with the same definitions, for the fault
-- run's check and for stats_recount(). Nothing here reads a sealed column.
INSERT INTO "stats_settings" ("id", "time_zone", "config", "fingerprint") VALUES (true, 'UTC', '{}'::jsonb, '');--> statement-breakpoint

CREATE OR REPLACE FUNCTION stats_month(at timestamptz) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT date_trunc('month', at AT TIME ZONE (SELECT time_zone FROM stats_settings WHERE id))::date
$$;--> statement-breakpoint

-- A duration as a bucket code: by the hour for three days, by the day for sixty, then `over_60d`.
CREATE OR REPLACE FUNCTION stats_bucket(d interval) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN d IS NULL THEN NULL
    WHEN d < interval '0' THEN 'h000'
    WHEN d < interval '72 hours' THEN 'h' || lpad(floor(extract(epoch FROM d) / 3600)::int::text, 3, '0')
    WHEN d < interval '60 days' THEN 'd' || lpad(floor(extract(epoch FROM d) / 86400)::int::text, 3, '0')
    ELSE 'over_60d' END
$$;--> statement-breakpoint

-- A case's month of arrival and its codes as `dimension=code`, sorted: from the case row, its
-- latest assessment (threat sources), its timeline (acknowledgement, triage decision) and its
-- first measure. The verified-only SDG dimensions come from the mapping in stats_settings.
CREATE OR REPLACE FUNCTION stats_case_facts(p_case uuid) RETURNS TABLE(month date, dims text[]) LANGUAGE sql STABLE AS $$
  WITH c AS (SELECT * FROM cases WHERE id = p_case),
  cfg AS (SELECT config FROM stats_settings WHERE id),
  a AS (SELECT threats FROM assessments WHERE case_id = p_case ORDER BY version DESC LIMIT 1),
  t AS (
    SELECT min(at) FILTER (WHERE action = 'acknowledge') AS ack_at,
           min(at) FILTER (WHERE action IN ('admit', 'decline')) AS decided_at,
           (array_agg(action ORDER BY id DESC) FILTER (WHERE action IN ('admit', 'decline')))[1] AS decision
    FROM case_timeline WHERE case_id = p_case
  ),
  m AS (SELECT min(proposed_at) AS first_at FROM measures WHERE case_id = p_case),
  decision AS (
    SELECT CASE t.decision WHEN 'admit' THEN 'admitted' WHEN 'decline' THEN 'declined'
             ELSE CASE WHEN c.state = 'closed' THEN 'closed_before_decision' ELSE 'pending' END END AS code
    FROM c, t
  ),
  base(dim, code) AS (
    SELECT 'region', c.region FROM c
    UNION ALL SELECT 'defender_category', c.defender_category FROM c
    UNION ALL SELECT 'gender', c.gender FROM c
    UNION ALL SELECT 'disability', c.disability FROM c
    UNION ALL SELECT 'urgency', CASE WHEN c.urgent THEN 'urgent' ELSE 'ordinary' END FROM c
    UNION ALL SELECT 'risk_level', coalesce(c.risk_level, 'not_assessed') FROM c
    UNION ALL SELECT 'verification', c.verification FROM c
    UNION ALL SELECT 'violation', v FROM c, unnest(c.threat_types) v
    UNION ALL SELECT 'perpetrator', s FROM unnest(coalesce(
      (SELECT CASE WHEN jsonb_array_length(a.threats) = 0 THEN ARRAY['none_identified'] ELSE ARRAY(SELECT th->>'source' FROM jsonb_array_elements(a.threats) th) END FROM a),
      ARRAY['not_assessed'])) s
    UNION ALL SELECT 'decision', decision.code FROM decision
    UNION ALL SELECT 'decline_reason', coalesce(c.decline_reason, 'not_stated') FROM c, decision WHERE decision.code = 'declined'
    UNION ALL SELECT 'officer', coalesce(c.assignee_id::text, 'none') FROM c
    UNION ALL SELECT 'time_to_acknowledge', stats_bucket(t.ack_at - c.created_at) FROM c, t WHERE t.ack_at IS NOT NULL
    UNION ALL SELECT 'time_to_decision', stats_bucket(t.decided_at - c.created_at) FROM c, t WHERE t.decided_at IS NOT NULL
    UNION ALL SELECT 'time_to_first_measure', stats_bucket(m.first_at - c.created_at) FROM c, m WHERE m.first_at IS NOT NULL
  ),
  verified(dim, code) AS (
    SELECT 'sdg_violation', cfg.config #>> ARRAY['sdg', 'violations', b.code] FROM base b, cfg, c
      WHERE c.verification = 'verified' AND b.dim = 'violation'
    UNION ALL SELECT 'sdg_group', cfg.config #>> ARRAY['sdg', 'populationGroups', b.code] FROM base b, cfg, c
      WHERE c.verification = 'verified' AND b.dim = 'defender_category'
    UNION ALL SELECT 'sdg_sex', b.code FROM base b, c WHERE c.verification = 'verified' AND b.dim = 'gender'
  )
  SELECT stats_month(c.created_at),
    ARRAY(SELECT DISTINCT x.dim || '=' || x.code FROM (SELECT * FROM base UNION ALL SELECT * FROM verified) x WHERE x.code IS NOT NULL ORDER BY 1)
  FROM c
$$;--> statement-breakpoint

-- The counters a case with these facts is in: all cases, one per code, one per pair of codes of
-- each crossing of policies/statistics.yaml (a series named `a:b`).
CREATE OR REPLACE FUNCTION stats_cells(p_month date, p_dims text[]) RETURNS TABLE(series text, month date, a text, b text) LANGUAGE sql STABLE AS $$
  WITH d AS (SELECT split_part(x, '=', 1) AS dim, substr(x, strpos(x, '=') + 1) AS code FROM unnest(p_dims) x),
  crossings AS (SELECT e->>0 AS x, e->>1 AS y FROM stats_settings s, jsonb_array_elements(coalesce(s.config->'crossings', '[]'::jsonb)) e WHERE s.id)
  SELECT 'cases', p_month, '', '' WHERE p_month IS NOT NULL
  UNION ALL SELECT d.dim, p_month, d.code, '' FROM d WHERE p_month IS NOT NULL
  UNION ALL SELECT k.x || ':' || k.y, p_month, dx.code, dy.code FROM crossings k JOIN d dx ON dx.dim = k.x JOIN d dy ON dy.dim = k.y WHERE p_month IS NOT NULL
$$;--> statement-breakpoint

-- The counters a row of measures, referrals, deadlines or deadline_steps is in.
CREATE OR REPLACE FUNCTION stats_row_cells(tbl text, r jsonb) RETURNS TABLE(series text, month date, a text, b text) LANGUAGE sql STABLE AS $$
  SELECT 'measure', stats_month((r->>'proposed_at')::timestamptz), r->>'code', r->>'status'
    WHERE tbl = 'measures' AND r IS NOT NULL
  UNION ALL SELECT 'referral', stats_month((r->>'created_at')::timestamptz), r->>'org_id', r->>'state'
    WHERE tbl = 'referrals' AND r IS NOT NULL
  UNION ALL SELECT 'referral_answer', stats_month((r->>'created_at')::timestamptz), r->>'org_id',
      stats_bucket((r->>'responded_at')::timestamptz - (r->>'sent_at')::timestamptz)
    WHERE tbl = 'referrals' AND r IS NOT NULL AND r->>'responded_at' IS NOT NULL AND r->>'sent_at' IS NOT NULL
  UNION ALL SELECT 'deadline', stats_month((r->>'started_at')::timestamptz), r->>'rule',
      CASE WHEN r->>'state' = 'settled' THEN CASE WHEN (r->>'settled_at')::timestamptz <= (r->>'due_at')::timestamptz THEN 'met' ELSE 'missed' END ELSE r->>'state' END
    WHERE tbl = 'deadlines' AND r IS NOT NULL
  UNION ALL SELECT 'escalation', stats_month((r->>'fired_at')::timestamptz), r->>'step', (SELECT rule FROM deadlines WHERE id = (r->>'deadline_id')::uuid)
    WHERE tbl = 'deadline_steps' AND r IS NOT NULL
$$;--> statement-breakpoint

-- Moves a case between counters when its facts changed (the old cells -1, the new +1).
CREATE OR REPLACE FUNCTION stats_refresh_case(p_case uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  prev case_stats%ROWTYPE;
  next_month date;
  next_dims text[];
BEGIN
  SELECT * INTO prev FROM case_stats WHERE case_id = p_case FOR UPDATE;
  SELECT f.month, f.dims INTO next_month, next_dims FROM stats_case_facts(p_case) f;
  IF next_month IS NULL THEN RETURN; END IF;
  IF prev.case_id IS NOT NULL AND prev.month = next_month AND prev.dims = next_dims THEN RETURN; END IF;
  INSERT INTO stats_deltas (series, month, a, b, n)
    SELECT x.series, x.month, x.a, x.b, sum(x.n)::int FROM (
      SELECT c.*, -1 AS n FROM stats_cells(prev.month, prev.dims) c WHERE prev.case_id IS NOT NULL
      UNION ALL SELECT c.*, 1 FROM stats_cells(next_month, next_dims) c
    ) x GROUP BY 1, 2, 3, 4 HAVING sum(x.n) <> 0;
  INSERT INTO case_stats (case_id, month, dims) VALUES (p_case, next_month, next_dims)
    ON CONFLICT (case_id) DO UPDATE SET month = excluded.month, dims = excluded.dims;
END
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION stats_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- NEW has `id` on cases and `case_id` elsewhere; each branch is planned only when it runs.
  IF TG_TABLE_NAME = 'cases' THEN
    PERFORM stats_refresh_case(NEW.id);
  ELSE
    PERFORM stats_refresh_case(NEW.case_id);
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION stats_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_deltas (series, month, a, b, n)
    SELECT x.series, x.month, x.a, x.b, sum(x.n)::int FROM (
      SELECT c.*, -1 AS n FROM stats_row_cells(TG_TABLE_NAME, CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END) c
      UNION ALL SELECT c.*, 1 FROM stats_row_cells(TG_TABLE_NAME, to_jsonb(NEW)) c
    ) x WHERE x.month IS NOT NULL GROUP BY 1, 2, 3, 4 HAVING sum(x.n) <> 0;
  RETURN NULL;
END
$$;--> statement-breakpoint

CREATE TRIGGER stats_cases AFTER INSERT OR UPDATE OF state, urgent, region, defender_category, gender, disability, threat_types, risk_level, verification, decline_reason, assignee_id, created_at
  ON cases FOR EACH ROW EXECUTE FUNCTION stats_case_changed();--> statement-breakpoint
CREATE TRIGGER stats_case_timeline AFTER INSERT ON case_timeline
  FOR EACH ROW WHEN (NEW.action IN ('acknowledge', 'admit', 'decline')) EXECUTE FUNCTION stats_case_changed();--> statement-breakpoint
CREATE TRIGGER stats_assessments AFTER INSERT ON assessments FOR EACH ROW EXECUTE FUNCTION stats_case_changed();--> statement-breakpoint
CREATE TRIGGER stats_measures_case AFTER INSERT ON measures FOR EACH ROW EXECUTE FUNCTION stats_case_changed();--> statement-breakpoint
CREATE TRIGGER stats_measures AFTER INSERT OR UPDATE OF status ON measures FOR EACH ROW EXECUTE FUNCTION stats_row_changed();--> statement-breakpoint
CREATE TRIGGER stats_referrals AFTER INSERT OR UPDATE OF state, responded_at, sent_at ON referrals FOR EACH ROW EXECUTE FUNCTION stats_row_changed();--> statement-breakpoint
CREATE TRIGGER stats_deadlines AFTER INSERT OR UPDATE OF state, settled_at, due_at ON deadlines FOR EACH ROW EXECUTE FUNCTION stats_row_changed();--> statement-breakpoint
CREATE TRIGGER stats_deadline_steps AFTER INSERT ON deadline_steps FOR EACH ROW EXECUTE FUNCTION stats_row_changed();--> statement-breakpoint

-- Every counter from scratch, with the same definitions: what stats_counts + stats_deltas must equal.
CREATE OR REPLACE FUNCTION stats_expected() RETURNS TABLE(series text, month date, a text, b text, n bigint) LANGUAGE sql STABLE AS $$
  SELECT x.series, x.month, x.a, x.b, count(*) FROM (
    SELECT c.* FROM cases k, LATERAL stats_case_facts(k.id) f, LATERAL stats_cells(f.month, f.dims) c
    UNION ALL SELECT c.* FROM measures r, LATERAL stats_row_cells('measures', to_jsonb(r)) c
    UNION ALL SELECT c.* FROM referrals r, LATERAL stats_row_cells('referrals', to_jsonb(r)) c
    UNION ALL SELECT c.* FROM deadlines r, LATERAL stats_row_cells('deadlines', to_jsonb(r)) c
    UNION ALL SELECT c.* FROM deadline_steps r, LATERAL stats_row_cells('deadline_steps', to_jsonb(r)) c
  ) x WHERE x.month IS NOT NULL GROUP BY 1, 2, 3, 4
$$;--> statement-breakpoint

-- The counters as the roll-up holds them (folded and pending), non-zero only.
CREATE OR REPLACE VIEW stats_current AS
  SELECT series, month, a, b, sum(n)::bigint AS n FROM (
    SELECT series, month, a, b, n FROM stats_counts
    UNION ALL SELECT series, month, a, b, n FROM stats_deltas
  ) x GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;--> statement-breakpoint

-- Folds pending changes into the counters; one folder at a time. Returns how many it moved.
CREATE OR REPLACE FUNCTION stats_fold(batch integer DEFAULT 50000) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE moved integer;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7220026) THEN RETURN 0; END IF;
  WITH d AS (
    DELETE FROM stats_deltas WHERE id IN (SELECT id FROM stats_deltas ORDER BY id LIMIT batch)
    RETURNING series, month, a, b, n
  ), g AS (
    SELECT series, month, a, b, sum(n)::bigint AS n, count(*) AS k FROM d GROUP BY 1, 2, 3, 4
  ), up AS (
    INSERT INTO stats_counts (series, month, a, b, n) SELECT series, month, a, b, n FROM g
      ON CONFLICT (series, month, a, b) DO UPDATE SET n = stats_counts.n + excluded.n
  )
  SELECT coalesce(sum(k), 0)::int INTO moved FROM g;
  RETURN moved;
END
$$;--> statement-breakpoint

-- Re-counts everything (after the time zone, the crossings or the mapping changed, or to repair):
-- writers wait for it (share locks on the source tables), readers see the old figures until it commits.
CREATE OR REPLACE FUNCTION stats_recount() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  -- NOWAIT: a writer holding one of these tables may be about to write another; waiting here in
  -- table order while it waits on us would deadlock. The caller retries a little later instead.
  LOCK TABLE cases, case_timeline, assessments, measures, referrals, deadlines, deadline_steps IN SHARE MODE NOWAIT;
  DELETE FROM stats_deltas;
  DELETE FROM stats_counts;
  DELETE FROM case_stats;
  INSERT INTO case_stats (case_id, month, dims) SELECT k.id, f.month, f.dims FROM cases k, LATERAL stats_case_facts(k.id) f;
  INSERT INTO stats_counts (series, month, a, b, n)
    SELECT x.series, x.month, x.a, x.b, count(*) FROM (
      SELECT c.* FROM case_stats k, LATERAL stats_cells(k.month, k.dims) c
      UNION ALL SELECT c.* FROM measures r, LATERAL stats_row_cells('measures', to_jsonb(r)) c
      UNION ALL SELECT c.* FROM referrals r, LATERAL stats_row_cells('referrals', to_jsonb(r)) c
      UNION ALL SELECT c.* FROM deadlines r, LATERAL stats_row_cells('deadlines', to_jsonb(r)) c
      UNION ALL SELECT c.* FROM deadline_steps r, LATERAL stats_row_cells('deadline_steps', to_jsonb(r)) c
    ) x WHERE x.month IS NOT NULL GROUP BY 1, 2, 3, 4;
  SELECT count(*) INTO total FROM case_stats;
  RETURN total;
END
$$;
