CREATE TABLE "custody_backups" (
	"id" uuid PRIMARY KEY NOT NULL,
	"org_key_id" uuid NOT NULL,
	"threshold" integer NOT NULL,
	"shares" integer NOT NULL,
	"custodians" jsonb NOT NULL,
	"made_by" uuid NOT NULL,
	"made_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "custody_backups_k_of_n" CHECK ("custody_backups"."threshold" >= 2 and "custody_backups"."shares" >= "custody_backups"."threshold")
);
--> statement-breakpoint
ALTER TABLE "custody_backups" ADD CONSTRAINT "custody_backups_org_key_id_org_keys_id_fk" FOREIGN KEY ("org_key_id") REFERENCES "public"."org_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custody_backups" ADD CONSTRAINT "custody_backups_made_by_users_id_fk" FOREIGN KEY ("made_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "custody_backups_key" ON "custody_backups" USING btree ("org_key_id","made_at");