CREATE TABLE "case_notes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"author" text NOT NULL,
	"author_role" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_reads" (
	"case_id" uuid NOT NULL,
	"reader" text NOT NULL,
	"last_read_at" timestamp (3) with time zone NOT NULL,
	"last_read_id" uuid NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "message_reads_case_id_reader_pk" PRIMARY KEY("case_id","reader")
);
--> statement-breakpoint
CREATE TABLE "staff_key_envelopes" (
	"case_id" uuid NOT NULL,
	"key_id" text NOT NULL,
	"envelope" text NOT NULL,
	"recipient_type" text NOT NULL,
	"recipient_id" text NOT NULL,
	"key_epoch" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "staff_key_envelopes_case_id_key_id_pk" PRIMARY KEY("case_id","key_id")
);
--> statement-breakpoint
ALTER TABLE "case_notes" ADD CONSTRAINT "case_notes_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_reads" ADD CONSTRAINT "message_reads_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_key_envelopes" ADD CONSTRAINT "staff_key_envelopes_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_notes_case_idx" ON "case_notes" USING btree ("case_id","created_at","id");--> statement-breakpoint
CREATE INDEX "message_reads_reader_idx" ON "message_reads" USING btree ("reader");