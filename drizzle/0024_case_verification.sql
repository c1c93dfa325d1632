-- Whether staff verified the violation a case alleges (SDG indicator 16.10.1 counts verified
-- cases). The cases already filed were never looked at for it: they get `not_stated`, which
-- nobody can choose; the column's default then becomes `alleged`, what every new case starts as.
ALTER TABLE "cases" ADD COLUMN "verification" text DEFAULT 'not_stated' NOT NULL;--> statement-breakpoint
ALTER TABLE "cases" ALTER COLUMN "verification" SET DEFAULT 'alleged';--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_verification" CHECK ("cases"."verification" in ('not_stated', 'alleged', 'verified', 'not_verified'));
