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
CREATE TABLE "on_call_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"email" text,
	"phone" text,
	"language" text DEFAULT 'fr' NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "on_call_entries_span" CHECK ("on_call_entries"."ends_at" > "on_call_entries"."starts_at"),
	CONSTRAINT "on_call_entries_position" CHECK ("on_call_entries"."position" between 1 and 20)
);
--> statement-breakpoint
CREATE TABLE "on_call_pages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" bigint NOT NULL,
	"rank" integer NOT NULL,
	"topic" text NOT NULL,
	"case_id" uuid,
	"recipient_user_id" uuid NOT NULL,
	"email" text,
	"phone" text,
	"language" text NOT NULL,
	"email_status" text NOT NULL,
	"sms_status" text NOT NULL,
	"last_error" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"acknowledged_at" timestamp (3) with time zone,
	"escalated_at" timestamp (3) with time zone,
	CONSTRAINT "on_call_pages_event_rank" UNIQUE("event_id","rank")
);
--> statement-breakpoint
ALTER TABLE "invitations" ADD COLUMN "revoked_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "round" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "custody_backups" ADD CONSTRAINT "custody_backups_org_key_id_org_keys_id_fk" FOREIGN KEY ("org_key_id") REFERENCES "public"."org_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custody_backups" ADD CONSTRAINT "custody_backups_made_by_users_id_fk" FOREIGN KEY ("made_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "on_call_entries" ADD CONSTRAINT "on_call_entries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "on_call_entries" ADD CONSTRAINT "on_call_entries_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "on_call_pages" ADD CONSTRAINT "on_call_pages_recipient_user_id_users_id_fk" FOREIGN KEY ("recipient_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "custody_backups_key" ON "custody_backups" USING btree ("org_key_id","made_at");--> statement-breakpoint
CREATE INDEX "on_call_entries_time_idx" ON "on_call_entries" USING btree ("starts_at","ends_at");--> statement-breakpoint
CREATE INDEX "on_call_pages_recipient_idx" ON "on_call_pages" USING btree ("recipient_user_id","created_at");