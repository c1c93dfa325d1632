CREATE TABLE "case_files" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"uploader" text NOT NULL,
	"uploader_role" text NOT NULL,
	"state" text NOT NULL,
	"size" bigint NOT NULL,
	"chunks" integer NOT NULL,
	"ciphertext_sha256" text,
	"sealed" jsonb NOT NULL,
	"timestamp_token" "bytea",
	"timestamped_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp (3) with time zone,
	"attached_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "referrals" ADD COLUMN "files" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "case_files" ADD CONSTRAINT "case_files_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_files_case_idx" ON "case_files" USING btree ("case_id","created_at");--> statement-breakpoint
CREATE INDEX "case_files_unfinished_idx" ON "case_files" USING btree ("created_at") WHERE "case_files"."state" <> 'available';