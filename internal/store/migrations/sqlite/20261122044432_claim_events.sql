-- Create "claim_events" table
CREATE TABLE `claim_events` (`id` uuid NOT NULL, `claim_id` uuid NOT NULL, `customer_id` uuid NOT NULL, `transition` text NOT NULL, `from_status` text NOT NULL, `to_status` text NOT NULL, `note` text NULL, `agent_id` uuid NULL, `at` datetime NOT NULL, `recorded_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "claimevent_claim_id_at" to table: "claim_events"
CREATE INDEX `claimevent_claim_id_at` ON `claim_events` (`claim_id`, `at`);
-- Create index "claimevent_customer_id" to table: "claim_events"
CREATE INDEX `claimevent_customer_id` ON `claim_events` (`customer_id`);
