CREATE TABLE "break_glass" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"supervisor_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"opened_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "break_glass_window" CHECK ("break_glass"."expires_at" > "break_glass"."opened_at"),
	CONSTRAINT "break_glass_reason_length" CHECK (char_length("break_glass"."reason") between 1 and 1000)
);
--> statement-breakpoint
ALTER TABLE "break_glass" ADD CONSTRAINT "break_glass_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "break_glass" ADD CONSTRAINT "break_glass_supervisor_id_users_id_fk" FOREIGN KEY ("supervisor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "break_glass_case_supervisor_idx" ON "break_glass" USING btree ("case_id","supervisor_id","expires_at");