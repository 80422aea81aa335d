-- Create "webhook_snapshots" table
CREATE TABLE `webhook_snapshots` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `collection` text NOT NULL, `record_id` uuid NOT NULL, `version` integer NOT NULL, `data` text NOT NULL, PRIMARY KEY (`id`));
-- Create index "webhooksnapshot_record_id_version" to table: "webhook_snapshots"
CREATE UNIQUE INDEX `webhooksnapshot_record_id_version` ON `webhook_snapshots` (`record_id`, `version`);
-- Create index "webhooksnapshot_created_at" to table: "webhook_snapshots"
CREATE INDEX `webhooksnapshot_created_at` ON `webhook_snapshots` (`created_at`);
