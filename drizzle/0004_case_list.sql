ALTER TABLE "cases" ADD COLUMN "next_due_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "next_due_rule" text;--> statement-breakpoint
CREATE INDEX "cases_list_idx" ON "cases" USING btree ((not "urgent"),coalesce("next_due_at", 'infinity'::timestamptz),"created_at","id");--> statement-breakpoint
-- cases.next_due_at / next_due_rule: the case's earliest open deadline, kept here by the database
-- itself so that every writer of deadlines (services, workers, SQL fixes) keeps it true. The case
-- row is locked first, then the minimum is read in a statement of its own (a fresh snapshot under
-- READ COMMITTED), so two transactions adding deadlines to one case cannot leave a stale value.
CREATE FUNCTION cases_refresh_next_due(p_case uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_due timestamptz;
  v_rule text;
BEGIN
  PERFORM 1 FROM cases WHERE id = p_case FOR UPDATE;
  SELECT d.due_at, d.rule INTO v_due, v_rule FROM deadlines d
    WHERE d.case_id = p_case AND d.state = 'open' ORDER BY d.due_at, d.id LIMIT 1;
  UPDATE cases SET next_due_at = v_due, next_due_rule = v_rule
    WHERE id = p_case AND (next_due_at, next_due_rule) IS DISTINCT FROM (v_due, v_rule);
END $$;
--> statement-breakpoint
CREATE FUNCTION deadlines_next_due_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM cases_refresh_next_due(OLD.case_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.case_id IS DISTINCT FROM OLD.case_id) THEN
    PERFORM cases_refresh_next_due(NEW.case_id);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER deadlines_next_due AFTER INSERT OR DELETE OR UPDATE OF case_id, state, due_at, rule ON deadlines
  FOR EACH ROW EXECUTE FUNCTION deadlines_next_due_trigger();
--> statement-breakpoint
UPDATE cases c SET (next_due_at, next_due_rule) = (
  SELECT d.due_at, d.rule FROM deadlines d WHERE d.case_id = c.id AND d.state = 'open' ORDER BY d.due_at, d.id LIMIT 1
);
