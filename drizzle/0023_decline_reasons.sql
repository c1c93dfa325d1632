-- Why a request was declined, as a code the statistics count (policies/workflow.yaml
-- declineReasons). Cases declined before the codes existed say so: `not_stated`.
ALTER TABLE "cases" ADD COLUMN "decline_reason" text;--> statement-breakpoint
UPDATE "cases" SET "decline_reason" = 'not_stated' WHERE "state" = 'closed' AND "close_reason" = 'declined';
