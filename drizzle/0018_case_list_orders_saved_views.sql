CREATE TABLE "saved_views" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"query" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "saved_views_name_length" CHECK (char_length("saved_views"."name") between 1 and 60)
);
--> statement-breakpoint
ALTER TABLE "saved_views" ADD CONSTRAINT "saved_views_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "saved_views_user_idx" ON "saved_views" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "cases_category_list_idx" ON "cases" USING btree ("defender_category",(not "urgent"),coalesce("next_due_at", 'infinity'::timestamptz),"created_at","id");--> statement-breakpoint
CREATE INDEX "cases_created_list_idx" ON "cases" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "cases_risk_list_idx" ON "cases" USING btree ((case risk_level when 'extreme' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end),"created_at","id");