CREATE TABLE "case_search_tokens" (
	"case_id" uuid NOT NULL,
	"token" text NOT NULL,
	"uploaded_by" uuid NOT NULL,
	"uploaded_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "case_search_tokens_pkey" PRIMARY KEY("case_id","token"),
	CONSTRAINT "case_search_tokens_shape" CHECK ("case_search_tokens"."token" ~ '^[A-Za-z0-9_-]{22}$')
);
--> statement-breakpoint
CREATE TABLE "search_key_entries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"member_key_id" text NOT NULL,
	"entry" text NOT NULL,
	"granted_by" uuid NOT NULL,
	"granted_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "case_search_tokens" ADD CONSTRAINT "case_search_tokens_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_search_tokens" ADD CONSTRAINT "case_search_tokens_uploaded_by_users_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_key_entries" ADD CONSTRAINT "search_key_entries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_key_entries" ADD CONSTRAINT "search_key_entries_granted_by_users_id_fk" FOREIGN KEY ("granted_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_search_tokens_token_idx" ON "case_search_tokens" USING btree ("token","case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "search_key_entries_user_key" ON "search_key_entries" USING btree ("user_id");