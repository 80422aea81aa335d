-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_webhook_deliveries" table
CREATE TABLE `new_webhook_deliveries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event` text NOT NULL, `event_id` uuid NOT NULL, `round` integer NOT NULL DEFAULT (0), `subject_id` text NOT NULL DEFAULT (''), `payload` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` json NOT NULL, `next_attempt_at` datetime NULL, `lease_owner` text NOT NULL DEFAULT (''), `lease_until` datetime NULL, `delivered_at` datetime NULL, `subscription_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_deliveries_webhook_subscriptions_deliveries` FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "webhook_deliveries" to new temporary table "new_webhook_deliveries"
INSERT INTO `new_webhook_deliveries` (`id`, `created_at`, `updated_at`, `event`, `event_id`, `subject_id`, `payload`, `status`, `attempts`, `next_attempt_at`, `lease_owner`, `lease_until`, `delivered_at`, `subscription_id`) SELECT `id`, `created_at`, `updated_at`, `event`, `event_id`, `subject_id`, `payload`, `status`, `attempts`, `next_attempt_at`, `lease_owner`, `lease_until`, `delivered_at`, `subscription_id` FROM `webhook_deliveries`;
-- Drop "webhook_deliveries" table after copying rows
DROP TABLE `webhook_deliveries`;
-- Rename temporary table "new_webhook_deliveries" to "webhook_deliveries"
ALTER TABLE `new_webhook_deliveries` RENAME TO `webhook_deliveries`;
-- Create index "webhookdelivery_subscription_id_event_id_round" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_subscription_id_event_id_round` ON `webhook_deliveries` (`subscription_id`, `event_id`, `round`);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_subscription_id_subject_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_subscription_id_subject_id_created_at` ON `webhook_deliveries` (`subscription_id`, `subject_id`, `created_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
