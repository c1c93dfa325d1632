CREATE TABLE "case_envelopes" (
	"case_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"envelope" text NOT NULL,
	"recipient_type" text NOT NULL,
	"recipient_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "case_envelopes_case_id_key_id_pk" PRIMARY KEY("case_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "case_fields" (
	"case_id" uuid NOT NULL,
	"field" text NOT NULL,
	"sealed" text NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "case_fields_case_id_field_pk" PRIMARY KEY("case_id","field")
);
--> statement-breakpoint
CREATE TABLE "case_timeline" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"state" text DEFAULT 'received' NOT NULL,
	"urgent" boolean DEFAULT false NOT NULL,
	"urgent_claimed" boolean DEFAULT false NOT NULL,
	"consent" text NOT NULL,
	"source" text NOT NULL,
	"filed_for" text NOT NULL,
	"filed_by" uuid,
	"region" text NOT NULL,
	"defender_category" text NOT NULL,
	"gender" text NOT NULL,
	"disability" text NOT NULL,
	"threat_types" text[] NOT NULL,
	"preferred_language" text NOT NULL,
	"contact_channel" text NOT NULL,
	"defender_card" boolean,
	"receipt_verifier" text,
	"defender_key_id" text,
	"mechanism_key_id" text NOT NULL,
	"risk_level" text,
	"assignee_id" uuid,
	"supervisor_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone,
	"close_reason" text,
	CONSTRAINT "cases_reference_unique" UNIQUE("reference"),
	CONSTRAINT "cases_receipt_verifier_unique" UNIQUE("receipt_verifier")
);
--> statement-breakpoint
CREATE TABLE "deadlines" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"rule" text NOT NULL,
	"subject_id" text,
	"urgent" boolean NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"level_reached" integer DEFAULT 0 NOT NULL,
	"paused_at" timestamp (3) with time zone,
	"remaining_ms" bigint,
	"settled_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"dispatched_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "case_envelopes" ADD CONSTRAINT "case_envelopes_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_fields" ADD CONSTRAINT "case_fields_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_timeline" ADD CONSTRAINT "case_timeline_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deadlines" ADD CONSTRAINT "deadlines_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_envelopes_recipient_idx" ON "case_envelopes" USING btree ("recipient_id");--> statement-breakpoint
CREATE INDEX "case_timeline_case_idx" ON "case_timeline" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "cases_queue_idx" ON "cases" USING btree ("state","urgent" DESC NULLS LAST,"created_at","id");--> statement-breakpoint
CREATE INDEX "cases_assignee_idx" ON "cases" USING btree ("assignee_id","state") WHERE "cases"."assignee_id" is not null;--> statement-breakpoint
CREATE INDEX "deadlines_open_due_idx" ON "deadlines" USING btree ("due_at") WHERE "deadlines"."state" = 'open';--> statement-breakpoint
CREATE INDEX "deadlines_case_idx" ON "deadlines" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."dispatched_at" is null;