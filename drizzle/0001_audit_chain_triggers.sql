-- The audit chain lives in the database so that every writer (any number of API instances,
-- workers, the CLI) appends through the same code path and the chain never forks.
-- hash_n = SHA-256(hash_(n-1) || utf8(JCS(event_n))), genesis = 32 zero bytes (docs/crypto-v1.md).
-- JCS here is written out by hand for the fixed set of fields: keys in code-unit order, strings
-- escaped by to_json (which escapes exactly what ECMAScript JSON.stringify escapes), `at` as
-- RFC 3339 UTC with milliseconds. test/audit/chain-sql.test.ts checks it against the vectors.
INSERT INTO "audit_head" ("id", "seq", "hash") VALUES (1, 0, repeat('0', 64));
--> statement-breakpoint
CREATE FUNCTION audit_events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev_seq bigint;
  prev_hash text;
  canonical text;
BEGIN
  -- The head row lock serialises appends until commit: seq is gapless and in commit order.
  SELECT seq, hash INTO prev_seq, prev_hash FROM audit_head WHERE id = 1 FOR UPDATE;
  NEW.seq := prev_seq + 1;
  NEW.at := date_trunc('milliseconds', coalesce(NEW.at, clock_timestamp()));
  canonical := '{"action":' || to_json(NEW.action)::text
    || ',"actor":' || to_json(NEW.actor)::text
    || ',"at":"' || to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
    || ',"caseId":' || coalesce(to_json(NEW.case_id::text)::text, 'null')
    || ',"outcome":' || to_json(NEW.outcome)::text
    || ',"reason":' || coalesce(to_json(NEW.reason)::text, 'null')
    || ',"requestId":' || to_json(NEW.request_id)::text
    || ',"resource":' || to_json(NEW.resource)::text
    || ',"role":' || to_json(NEW.role)::text
    || ',"seq":' || NEW.seq::text
    || '}';
  NEW.hash := encode(sha256(decode(prev_hash, 'hex') || convert_to(canonical, 'UTF8')), 'hex');
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
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
-- The head moves only from inside the chain trigger.
CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'audit head moves only by appending events' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
--> statement-breakpoint
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_append_only();
