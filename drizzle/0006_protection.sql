CREATE TABLE "appeals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"subject" text NOT NULL,
	"subject_id" uuid,
	"decider_id" uuid,
	"decision_at" timestamp (3) with time zone NOT NULL,
	"grounds" text,
	"state" text NOT NULL,
	"filed_at" timestamp (3) with time zone NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp (3) with time zone,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "assessments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"threats" jsonb NOT NULL,
	"vulnerability_factors" text[] NOT NULL,
	"vulnerability_rating" integer NOT NULL,
	"capacity_factors" text[] NOT NULL,
	"capacity_rating" integer NOT NULL,
	"score" double precision,
	"level" text NOT NULL,
	"override" boolean NOT NULL,
	"sealed" jsonb NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reported_by" text NOT NULL,
	"code" text,
	"note" text,
	"at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "measures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"code" text NOT NULL,
	"category" text NOT NULL,
	"implementer" text NOT NULL,
	"implementer_org_id" uuid,
	"urgent" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"details" text,
	"duration_days" integer,
	"proposed_by" uuid NOT NULL,
	"proposed_at" timestamp (3) with time zone NOT NULL,
	"consent_by" text,
	"consent_at" timestamp (3) with time zone,
	"consent_attestation" jsonb,
	"decided_by" uuid,
	"decided_at" timestamp (3) with time zone,
	"decision_reason" text,
	"starts_at" timestamp (3) with time zone,
	"ends_at" timestamp (3) with time zone,
	"confirmed_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"ended_by" uuid,
	"end_reason" text,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referral_envelopes" (
	"referral_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"envelope" text NOT NULL,
	"recipient_type" text NOT NULL,
	"recipient_id" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "referral_envelopes_referral_id_key_id_pk" PRIMARY KEY("referral_id","key_id")
);
--> statement-breakpoint
CREATE TABLE "referral_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"referral_id" uuid NOT NULL,
	"status" text NOT NULL,
	"note" text,
	"reported_by" uuid NOT NULL,
	"reported_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"org_id" uuid NOT NULL,
	"fields" text[] NOT NULL,
	"purpose" text NOT NULL,
	"state" text NOT NULL,
	"consent_basis" text,
	"consent_by" text,
	"consent_at" timestamp (3) with time zone,
	"consent_attestation" jsonb,
	"defender_told_at" timestamp (3) with time zone,
	"packet" jsonb,
	"created_by" uuid NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"sent_at" timestamp (3) with time zone,
	"responded_by" uuid,
	"responded_at" timestamp (3) with time zone,
	"response_reason" text,
	"ended_at" timestamp (3) with time zone,
	"end_reason" text,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "organisations" ADD COLUMN "category" text DEFAULT 'ngo' NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "key_epoch" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "appeals" ADD CONSTRAINT "appeals_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessments" ADD CONSTRAINT "assessments_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_reports" ADD CONSTRAINT "case_reports_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "measures" ADD CONSTRAINT "measures_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "measures" ADD CONSTRAINT "measures_implementer_org_id_organisations_id_fk" FOREIGN KEY ("implementer_org_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_envelopes" ADD CONSTRAINT "referral_envelopes_referral_id_referrals_id_fk" FOREIGN KEY ("referral_id") REFERENCES "public"."referrals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_reports" ADD CONSTRAINT "referral_reports_referral_id_referrals_id_fk" FOREIGN KEY ("referral_id") REFERENCES "public"."referrals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_org_id_organisations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "appeals_case_idx" ON "appeals" USING btree ("case_id","filed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "appeals_one_open_idx" ON "appeals" USING btree ("case_id","subject",coalesce("subject_id", '00000000-0000-0000-0000-000000000000'::uuid)) WHERE "appeals"."state" = 'filed';--> statement-breakpoint
CREATE UNIQUE INDEX "assessments_case_version_idx" ON "assessments" USING btree ("case_id","version");--> statement-breakpoint
CREATE INDEX "case_reports_case_idx" ON "case_reports" USING btree ("case_id","kind","at");--> statement-breakpoint
CREATE INDEX "measures_case_idx" ON "measures" USING btree ("case_id","proposed_at");--> statement-breakpoint
CREATE INDEX "referral_reports_referral_idx" ON "referral_reports" USING btree ("referral_id","reported_at");--> statement-breakpoint
CREATE INDEX "referrals_case_idx" ON "referrals" USING btree ("case_id","created_at");--> statement-breakpoint
CREATE INDEX "referrals_org_idx" ON "referrals" USING btree ("org_id","state","created_at");UPDATE "organisations" SET "category" = 'mechanism' WHERE "kind" = 'mechanism';
