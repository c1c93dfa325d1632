-- The audit chain (docs/crypto-v1.md): hash_n = SHA-256(hash_(n-1) || utf8(JCS(event_n))),
-- genesis = 32 zero bytes.
--
-- Writers only INSERT into audit_events, in the transaction of the change they record, and take
-- no lock: holding one chain lock until commit would serialise every audited request. The same
-- statement queues the event in audit_pending (see audit_record; the app's repository writes the
-- equivalent CTE), visible like the event only once its transaction commits. No trigger runs on
-- this hot path. audit_chain_pending() then chains every committed queued event, in one short
-- transaction under the head row lock: seq is gapless, each event is chained exactly once, and
-- an event whose transaction commits later simply takes a later place. Any number of processes
-- may run the chainer at once.
--
-- JCS is written out by hand for the fixed set of fields: keys in code-unit order, strings
-- escaped by to_json (which escapes exactly what ECMAScript JSON.stringify escapes), `at` as
-- RFC 3339 UTC with milliseconds. test/audit/chain-sql.test.ts checks it against the vectors.
INSERT INTO "audit_head" ("id", "seq", "hash") VALUES (1, 0, repeat('0', 64));
--> statement-breakpoint
-- The queue is rebuilt from the events after a crash (audit_requeue_unchained), so it need not
-- cost WAL on every audited request.
ALTER TABLE "audit_pending" SET UNLOGGED;
--> statement-breakpoint
CREATE FUNCTION audit_requeue_unchained() RETURNS integer LANGUAGE sql AS $$
  WITH q AS (
    INSERT INTO audit_pending (event_id)
    SELECT e.id FROM audit_events e
    WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)
    ON CONFLICT DO NOTHING
    RETURNING event_id
  )
  SELECT count(*)::integer FROM q
$$;
--> statement-breakpoint
CREATE FUNCTION audit_canonical(e audit_events, seq bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"action":' || to_json(e.action)::text
    || ',"actor":' || to_json(e.actor)::text
    || ',"at":"' || to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
    || ',"caseId":' || coalesce(to_json(e.case_id::text)::text, 'null')
    || ',"outcome":' || to_json(e.outcome)::text
    || ',"reason":' || coalesce(to_json(e.reason)::text, 'null')
    || ',"requestId":' || to_json(e.request_id)::text
    || ',"resource":' || to_json(e.resource)::text
    || ',"role":' || to_json(e.role)::text
    || ',"seq":' || seq::text
    || '}'
$$;
--> statement-breakpoint
-- Chains up to `batch` committed events; returns how many. Safe to call from any number of
-- processes at once (they queue on the head row).
CREATE FUNCTION audit_chain_pending(batch integer DEFAULT 5000) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  n integer := 0;
  e audit_events;
BEGIN
  SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
  PERFORM set_config('egide.audit_chaining', 'on', true);
  -- A requeue racing a chainer can queue an event that was just chained: drop such entries.
  DELETE FROM audit_pending p USING audit_chain c WHERE c.event_id = p.event_id;
  FOR e IN
    SELECT ev.* FROM audit_pending p JOIN audit_events ev ON ev.id = p.event_id
    ORDER BY p.event_id
    LIMIT batch
  LOOP
    head_seq := head_seq + 1;
    head_hash := encode(sha256(decode(head_hash, 'hex') || convert_to(audit_canonical(e, head_seq), 'UTF8')), 'hex');
    INSERT INTO audit_chain (seq, event_id, hash) VALUES (head_seq, e.id, head_hash);
    DELETE FROM audit_pending WHERE event_id = e.id;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE audit_head SET seq = head_seq, hash = head_hash WHERE id = 1;
  END IF;
  PERFORM set_config('egide.audit_chaining', 'off', true);
  RETURN n;
END
$$;
--> statement-breakpoint
-- For SQL callers (tools, tests): records an event and queues it, in one statement.
CREATE FUNCTION audit_record(at timestamptz, actor text, role text, action text, resource text, case_id uuid, outcome text, reason text, request_id text) RETURNS bigint LANGUAGE sql AS $$
  WITH e AS (
    INSERT INTO audit_events (at, actor, role, action, resource, case_id, outcome, reason, request_id)
    VALUES (date_trunc('milliseconds', at), actor, role, action, resource, case_id, outcome, reason, request_id) RETURNING id
  ), q AS (INSERT INTO audit_pending (event_id) SELECT id FROM e RETURNING event_id)
  SELECT event_id FROM q
$$;
--> statement-breakpoint
CREATE VIEW audit_log AS
  SELECT c.seq, c.hash, e.id AS event_id, e.at, e.actor, e.role, e.action, e.resource, e.case_id, e.outcome, e.reason, e.request_id
  FROM audit_chain c JOIN audit_events e ON e.id = c.event_id;
--> statement-breakpoint
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_chain_no_update_delete BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
-- The head and the queue move only inside audit_chain_pending().
CREATE FUNCTION audit_chainer_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('egide.audit_chaining', true), 'off') <> 'on' THEN
    RAISE EXCEPTION '% moves only through audit_chain_pending()', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_chainer_only();
--> statement-breakpoint
CREATE TRIGGER audit_pending_guard BEFORE UPDATE OR DELETE ON audit_pending FOR EACH ROW EXECUTE FUNCTION audit_chainer_only();
--> statement-breakpoint
CREATE TRIGGER audit_chain_guard BEFORE INSERT ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chainer_only();
--> statement-breakpoint
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
