-- Drop index "webhookdelivery_subscription_id_event_id" from table: "webhook_deliveries"
DROP INDEX "webhookdelivery_subscription_id_event_id";
-- Modify "webhook_deliveries" table
ALTER TABLE "webhook_deliveries" ADD COLUMN "round" bigint NOT NULL DEFAULT 0;
-- Create index "webhookdelivery_subscription_id_event_id_round" to table: "webhook_deliveries"
CREATE UNIQUE INDEX "webhookdelivery_subscription_id_event_id_round" ON "webhook_deliveries" ("subscription_id", "event_id", "round");
