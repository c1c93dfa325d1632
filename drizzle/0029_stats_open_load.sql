-- The open load per officer and state (the workload's "open" figures) as a series of the
-- roll-up, exact like the others, instead of a count over the open assigned cases at each read:
-- a case assigned and not closed has the fact `open_load=<assignee>/<state>`, counted in the
-- series `open_load` (a = assignee, b = state) at the case's month; the cases trigger already
-- fires on a change of state or assignee. stats_expected() follows through stats_case_facts() and
-- stats_cells(); stats_recount() (set-based, 0027/0028) gets the same fact.

-- As in 0026, with the open load.
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
    UNION ALL SELECT 'open_load', c.assignee_id::text || '/' || c.state FROM c WHERE c.assignee_id IS NOT NULL AND c.state <> 'closed'
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

-- As in 0026, the open load with its two codes.
CREATE OR REPLACE FUNCTION stats_cells(p_month date, p_dims text[]) RETURNS TABLE(series text, month date, a text, b text) LANGUAGE sql STABLE AS $$
  WITH d AS (SELECT split_part(x, '=', 1) AS dim, substr(x, strpos(x, '=') + 1) AS code FROM unnest(p_dims) x),
  crossings AS (SELECT e->>0 AS x, e->>1 AS y FROM stats_settings s, jsonb_array_elements(coalesce(s.config->'crossings', '[]'::jsonb)) e WHERE s.id)
  SELECT 'cases', p_month, '', '' WHERE p_month IS NOT NULL
  UNION ALL SELECT d.dim, p_month, d.code, '' FROM d WHERE p_month IS NOT NULL AND d.dim <> 'open_load'
  UNION ALL SELECT d.dim, p_month, split_part(d.code, '/', 1), split_part(d.code, '/', 2) FROM d WHERE p_month IS NOT NULL AND d.dim = 'open_load'
  UNION ALL SELECT k.x || ':' || k.y, p_month, dx.code, dy.code FROM crossings k JOIN d dx ON dx.dim = k.x JOIN d dy ON dy.dim = k.y WHERE p_month IS NOT NULL
$$;--> statement-breakpoint

-- As in 0028, with the open load.
CREATE OR REPLACE FUNCTION stats_recount() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  total bigint;
  tz text;
  cfg jsonb;
BEGIN
  -- NOWAIT: a writer holding one of these tables may be about to write another; waiting here in
  -- table order while it waits on us would deadlock. The caller retries a little later instead.
  LOCK TABLE cases, case_timeline, assessments, measures, referrals, deadlines, deadline_steps IN SHARE MODE NOWAIT;
  SELECT s.time_zone, s.config INTO tz, cfg FROM stats_settings s WHERE s.id;
  DELETE FROM stats_deltas;
  DELETE FROM stats_counts;
  DELETE FROM case_stats;
  INSERT INTO case_stats (case_id, month, dims)
    WITH a AS (SELECT DISTINCT ON (case_id) case_id, threats FROM assessments ORDER BY case_id, version DESC),
    t AS (
      SELECT case_id,
             min(at) FILTER (WHERE action = 'acknowledge') AS ack_at,
             min(at) FILTER (WHERE action IN ('admit', 'decline')) AS decided_at,
             (array_agg(action ORDER BY id DESC) FILTER (WHERE action IN ('admit', 'decline')))[1] AS decision
      FROM case_timeline WHERE action IN ('acknowledge', 'admit', 'decline') GROUP BY case_id
    ),
    m AS (SELECT case_id, min(proposed_at) AS first_at FROM measures GROUP BY case_id)
    SELECT c.id, date_trunc('month', c.created_at AT TIME ZONE tz)::date,
      ARRAY(SELECT DISTINCT x.dim || '=' || x.code FROM (
        SELECT 'region' AS dim, c.region AS code
        UNION ALL SELECT 'defender_category', c.defender_category
        UNION ALL SELECT 'gender', c.gender
        UNION ALL SELECT 'disability', c.disability
        UNION ALL SELECT 'urgency', CASE WHEN c.urgent THEN 'urgent' ELSE 'ordinary' END
        UNION ALL SELECT 'risk_level', coalesce(c.risk_level, 'not_assessed')
        UNION ALL SELECT 'verification', c.verification
        UNION ALL SELECT 'violation', v FROM unnest(c.threat_types) v
        UNION ALL SELECT 'perpetrator', s FROM unnest(coalesce(
          CASE WHEN a.case_id IS NOT NULL THEN CASE WHEN jsonb_array_length(a.threats) = 0 THEN ARRAY['none_identified'] ELSE ARRAY(SELECT th->>'source' FROM jsonb_array_elements(a.threats) th) END END,
          ARRAY['not_assessed'])) s
        UNION ALL SELECT 'decision', d.code
        UNION ALL SELECT 'decline_reason', coalesce(c.decline_reason, 'not_stated') WHERE d.code = 'declined'
        UNION ALL SELECT 'officer', coalesce(c.assignee_id::text, 'none')
        UNION ALL SELECT 'time_to_acknowledge', stats_bucket(t.ack_at - c.created_at) WHERE t.ack_at IS NOT NULL
        UNION ALL SELECT 'time_to_decision', stats_bucket(t.decided_at - c.created_at) WHERE t.decided_at IS NOT NULL
        UNION ALL SELECT 'time_to_first_measure', stats_bucket(m.first_at - c.created_at) WHERE m.first_at IS NOT NULL
        UNION ALL SELECT 'open_load', c.assignee_id::text || '/' || c.state WHERE c.assignee_id IS NOT NULL AND c.state <> 'closed'
        UNION ALL SELECT 'sdg_violation', cfg #>> ARRAY['sdg', 'violations', v] FROM unnest(c.threat_types) v WHERE c.verification = 'verified'
        UNION ALL SELECT 'sdg_group', cfg #>> ARRAY['sdg', 'populationGroups', c.defender_category] WHERE c.verification = 'verified'
        UNION ALL SELECT 'sdg_sex', c.gender WHERE c.verification = 'verified'
      ) x WHERE x.code IS NOT NULL ORDER BY 1)
    FROM cases c
    LEFT JOIN a ON a.case_id = c.id
    LEFT JOIN t ON t.case_id = c.id
    LEFT JOIN m ON m.case_id = c.id
    CROSS JOIN LATERAL (SELECT CASE t.decision WHEN 'admit' THEN 'admitted' WHEN 'decline' THEN 'declined'
             ELSE CASE WHEN c.state = 'closed' THEN 'closed_before_decision' ELSE 'pending' END END AS code) d;
  INSERT INTO stats_counts (series, month, a, b, n)
    WITH d AS MATERIALIZED (
      SELECT k.case_id, k.month, split_part(e, '=', 1) AS dim, substr(e, strpos(e, '=') + 1) AS code FROM case_stats k, unnest(k.dims) e
    ),
    crossings AS (SELECT e->>0 AS x, e->>1 AS y FROM jsonb_array_elements(coalesce(cfg->'crossings', '[]'::jsonb)) e)
    SELECT x.series, x.month, x.a, x.b, count(*) FROM (
      SELECT 'cases' AS series, k.month, '' AS a, '' AS b FROM case_stats k
      UNION ALL SELECT d.dim, d.month, d.code, '' FROM d WHERE d.dim <> 'open_load'
      UNION ALL SELECT d.dim, d.month, split_part(d.code, '/', 1), split_part(d.code, '/', 2) FROM d WHERE d.dim = 'open_load'
      UNION ALL SELECT k.x || ':' || k.y, dx.month, dx.code, dy.code FROM crossings k JOIN d dx ON dx.dim = k.x JOIN d dy ON dy.case_id = dx.case_id AND dy.dim = k.y
      UNION ALL SELECT 'measure', date_trunc('month', r.proposed_at AT TIME ZONE tz)::date, r.code, r.status FROM measures r
      UNION ALL SELECT 'referral', date_trunc('month', r.created_at AT TIME ZONE tz)::date, r.org_id::text, r.state FROM referrals r
      UNION ALL SELECT 'referral_answer', date_trunc('month', r.created_at AT TIME ZONE tz)::date, r.org_id::text, stats_bucket(r.responded_at - r.sent_at)
        FROM referrals r WHERE r.responded_at IS NOT NULL AND r.sent_at IS NOT NULL
      UNION ALL SELECT 'deadline', date_trunc('month', r.started_at AT TIME ZONE tz)::date, r.rule,
          CASE WHEN r.state = 'settled' THEN CASE WHEN r.settled_at <= r.due_at THEN 'met' ELSE 'missed' END ELSE r.state END
        FROM deadlines r
      UNION ALL SELECT 'escalation', date_trunc('month', s.fired_at AT TIME ZONE tz)::date, s.step, d.rule
        FROM deadline_steps s LEFT JOIN deadlines d ON d.id = s.deadline_id
    ) x WHERE x.month IS NOT NULL GROUP BY 1, 2, 3, 4;
  UPDATE stats_settings SET generation = generation + 1 WHERE id;
  SELECT count(*) INTO total FROM case_stats;
  RETURN total;
END
$$;--> statement-breakpoint

-- The counters above are new: the service re-counts at its next start (its fingerprint differs).
UPDATE stats_settings SET fingerprint = '' WHERE id;
