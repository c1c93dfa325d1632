-- The audit log holds against the application itself. The API and the workers connect as an
-- application role that may only INSERT and SELECT the audit tables (src/db/roles.ts grants it
-- after every migration); these migrations run as the owner role. Neither the head nor the chain
-- can be written by the application role: the chain is appended by audit_chain_pending(), which
-- runs with its owner's rights (SECURITY DEFINER) and does only that. The guard variable the
-- chainer used to set (egide.audit_chaining) is gone: anyone could set it, so it guarded nothing;
-- privileges do its work now.
DROP TRIGGER audit_head_guard ON audit_head;
--> statement-breakpoint
DROP TRIGGER audit_pending_guard ON audit_pending;
--> statement-breakpoint
DROP TRIGGER audit_chain_guard ON audit_chain;
--> statement-breakpoint
DROP FUNCTION audit_chainer_only();
--> statement-breakpoint
-- What the triggers still refuse to every role short of disabling them (the owner could, which is
-- why the owner's credentials stay with whoever migrates): changing or removing a recorded event,
-- a place in the chain, a signed checkpoint, or the head row.
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
-- The same chainer as before (drizzle/0001_audit_chain.sql), now SECURITY DEFINER: with a fixed
-- search_path that puts pg_catalog first and pg_temp last, and every object of this schema named
-- with it, so that a caller's own functions, operators or temporary tables cannot stand in for
-- ours while it runs with the owner's rights.
CREATE OR REPLACE FUNCTION audit_chain_pending(batch integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  n integer := 0;
  e public.audit_events;
BEGIN
  SELECT h.seq, h.hash INTO head_seq, head_hash FROM public.audit_head h WHERE h.id = 1 FOR UPDATE;
  -- A requeue racing a chainer can queue an event that was just chained: drop such entries.
  DELETE FROM public.audit_pending p USING public.audit_chain c WHERE c.event_id = p.event_id;
  FOR e IN
    SELECT ev.* FROM public.audit_pending p JOIN public.audit_events ev ON ev.id = p.event_id
    ORDER BY p.event_id
    LIMIT batch
  LOOP
    head_seq := head_seq + 1;
    head_hash := encode(sha256(decode(head_hash, 'hex') || convert_to(public.audit_canonical(e, head_seq), 'UTF8')), 'hex');
    INSERT INTO public.audit_chain (seq, event_id, hash) VALUES (head_seq, e.id, head_hash);
    DELETE FROM public.audit_pending WHERE event_id = e.id;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE public.audit_head SET seq = head_seq, hash = head_hash WHERE id = 1;
  END IF;
  RETURN n;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_chain_pending(integer) FROM PUBLIC;
