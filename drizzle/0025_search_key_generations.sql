-- The search key gets a generation: a re-issue (docs/crypto-v1.md §16.1) seals a new key to the
-- remaining members and each case's tokens are recomputed with it. What exists was made with the
-- first key: generation 1.
ALTER TABLE "case_search_tokens" ADD COLUMN "generation" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "search_key_entries" ADD COLUMN "generation" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "case_search_tokens_generation_idx" ON "case_search_tokens" USING btree ("generation","case_id");