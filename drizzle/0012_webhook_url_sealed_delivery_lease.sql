-- Webhook URLs are sealed at rest from now on. Rows registered before hold their URL in clear:
-- the column is renamed url_plaintext and left as it is, because the key that seals it is not in
-- the database; the first start of this release seals each one and clears it
-- (src/notifications/webhook-url-migration.ts). The check keeps anything else from writing it.
ALTER TABLE "webhook_endpoints" RENAME COLUMN "url" TO "url_plaintext";--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ALTER COLUMN "url_plaintext" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "lease_expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "url_sealed" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "url_origin" text;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_lease_idx" ON "webhook_deliveries" USING btree ("lease_expires_at") WHERE "webhook_deliveries"."status" = 'in_flight';--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_url_sealed" CHECK (("webhook_endpoints"."url_plaintext" is null and "webhook_endpoints"."url_sealed" is not null and "webhook_endpoints"."url_origin" is not null) or ("webhook_endpoints"."url_plaintext" is not null and "webhook_endpoints"."url_sealed" is null));
