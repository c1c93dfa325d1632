-- The chainer runs on every audited read (the page served includes that read), so it must cost
-- the same at a million events as at ten. Its queue table is unlogged and nearly always empty,
-- so it has no statistics: the planner guessed thousands of queued rows and joined them to the
-- whole chain and the whole event table by sequential scans (25 ms at 100,000 events, growing
-- with the log). The same chainer, each step now a lookup by primary or unique key, whatever the
-- planner believes about the queue; same results (drizzle/0014_audit_definer.sql).
CREATE OR REPLACE FUNCTION audit_chain_pending(batch integer DEFAULT 5000) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  head_seq bigint;
  head_hash text;
  n integer := 0;
  pending_id bigint;
  e public.audit_events;
BEGIN
  SELECT h.seq, h.hash INTO head_seq, head_hash FROM public.audit_head h WHERE h.id = 1 FOR UPDATE;
  -- No LIMIT: entries only dropped (already chained) do not count toward the batch.
  FOR pending_id IN SELECT p.event_id FROM public.audit_pending p ORDER BY p.event_id LOOP
    EXIT WHEN n >= batch;
    DELETE FROM public.audit_pending WHERE event_id = pending_id;
    -- A requeue racing a chainer can queue an event that was just chained: it is only dropped.
    CONTINUE WHEN EXISTS (SELECT 1 FROM public.audit_chain c WHERE c.event_id = pending_id);
    SELECT ev.* INTO e FROM public.audit_events ev WHERE ev.id = pending_id;
    CONTINUE WHEN NOT FOUND;
    head_seq := head_seq + 1;
    head_hash := encode(sha256(decode(head_hash, 'hex') || convert_to(public.audit_canonical(e, head_seq), 'UTF8')), 'hex');
    INSERT INTO public.audit_chain (seq, event_id, hash) VALUES (head_seq, e.id, head_hash);
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE public.audit_head SET seq = head_seq, hash = head_hash WHERE id = 1;
  END IF;
  RETURN n;
END
$$;
