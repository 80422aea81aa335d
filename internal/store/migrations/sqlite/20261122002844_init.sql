-- Create "agents" table
CREATE TABLE `agents` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `username` text NOT NULL, `display_name` text NOT NULL DEFAULT (''), `role` text NOT NULL DEFAULT ('agent'), `time_zone` text NOT NULL DEFAULT ('Asia/Shanghai'), `locale` text NOT NULL DEFAULT ('zh-CN'), `password_hash` text NOT NULL, `disabled` bool NOT NULL DEFAULT (false), `disabled_at` datetime NULL, `scope_epoch` integer NOT NULL DEFAULT (0), `team_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `agents_teams_agents` FOREIGN KEY (`team_id`) REFERENCES `teams` (`id`) ON DELETE SET NULL);
-- Create index "agents_username_key" to table: "agents"
CREATE UNIQUE INDEX `agents_username_key` ON `agents` (`username`);
-- Create "audit_entries" table
CREATE TABLE `audit_entries` (`id` uuid NOT NULL, `at` datetime NOT NULL, `actor_kind` text NOT NULL, `actor_id` text NOT NULL, `action` text NOT NULL, `subject_type` text NOT NULL, `subject_id` text NOT NULL, `fields` json NULL, `reason` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "auditentry_subject_id_at" to table: "audit_entries"
CREATE INDEX `auditentry_subject_id_at` ON `audit_entries` (`subject_id`, `at`);
-- Create index "auditentry_actor_id_at" to table: "audit_entries"
CREATE INDEX `auditentry_actor_id_at` ON `audit_entries` (`actor_id`, `at`);
-- Create index "auditentry_at" to table: "audit_entries"
CREATE INDEX `auditentry_at` ON `audit_entries` (`at`);
-- Create "calendar_days" table
CREATE TABLE `calendar_days` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `date` datetime NOT NULL, `working_day` bool NOT NULL, `note` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- Create index "calendar_days_date_key" to table: "calendar_days"
CREATE UNIQUE INDEX `calendar_days_date_key` ON `calendar_days` (`date`);
-- Create "change_logs" table
CREATE TABLE `change_logs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `collection` text NOT NULL, `record_id` uuid NOT NULL, `op` text NOT NULL, `version` integer NOT NULL, `customer_id` uuid NULL, `agent_id` uuid NULL, `committed_at` datetime NOT NULL);
-- Create index "changelog_record_id" to table: "change_logs"
CREATE INDEX `changelog_record_id` ON `change_logs` (`record_id`);
-- Create index "changelog_customer_id_id" to table: "change_logs"
CREATE INDEX `changelog_customer_id_id` ON `change_logs` (`customer_id`, `id`);
-- Create index "changelog_agent_id_id" to table: "change_logs"
CREATE INDEX `changelog_agent_id_id` ON `change_logs` (`agent_id`, `id`);
-- Create index "changelog_collection_id" to table: "change_logs"
CREATE INDEX `changelog_collection_id` ON `change_logs` (`collection`, `id`);
-- Create index "changelog_committed_at" to table: "change_logs"
CREATE INDEX `changelog_committed_at` ON `change_logs` (`committed_at`);
-- Create "claims" table
CREATE TABLE `claims` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `policy_id` uuid NULL, `agent_id` uuid NULL, `status` text NOT NULL DEFAULT ('filed'), `description` text NOT NULL DEFAULT (''), `amount_claimed_cents` integer NOT NULL DEFAULT (0), `amount_paid_cents` integer NOT NULL DEFAULT (0), `decision` text NULL, `filed_at` datetime NOT NULL, `accepted_at` datetime NULL, `documents_complete_at` datetime NULL, `decided_at` datetime NULL, `paid_at` datetime NULL, `closed_at` datetime NULL, `accept_due_at` datetime NOT NULL, `close_due_at` datetime NOT NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `claims_customers_claims` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "claim_updated_at" to table: "claims"
CREATE INDEX `claim_updated_at` ON `claims` (`updated_at`);
-- Create index "claim_customer_id" to table: "claims"
CREATE INDEX `claim_customer_id` ON `claims` (`customer_id`);
-- Create index "claim_status" to table: "claims"
CREATE INDEX `claim_status` ON `claims` (`status`);
-- Create index "claim_filed_at" to table: "claims"
CREATE INDEX `claim_filed_at` ON `claims` (`filed_at`);
-- Create "complaints" table
CREATE TABLE `complaints` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `agent_id` uuid NULL, `policy_id` uuid NULL, `status` text NOT NULL DEFAULT ('received'), `category` text NOT NULL DEFAULT ('other'), `severity` text NOT NULL DEFAULT ('medium'), `summary` text NOT NULL, `details` text NOT NULL DEFAULT (''), `received_at` datetime NOT NULL, `acknowledged_at` datetime NULL, `resolved_at` datetime NULL, `closed_at` datetime NULL, `escalated_at` datetime NULL, `root_cause` text NOT NULL DEFAULT (''), `corrective_action` text NOT NULL DEFAULT (''), `resolution` text NOT NULL DEFAULT (''), `ack_due_at` datetime NOT NULL, `answer_due_at` datetime NOT NULL, `close_due_at` datetime NOT NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `complaints_customers_complaints` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "complaint_updated_at" to table: "complaints"
CREATE INDEX `complaint_updated_at` ON `complaints` (`updated_at`);
-- Create index "complaint_customer_id" to table: "complaints"
CREATE INDEX `complaint_customer_id` ON `complaints` (`customer_id`);
-- Create index "complaint_status" to table: "complaints"
CREATE INDEX `complaint_status` ON `complaints` (`status`);
-- Create index "complaint_received_at" to table: "complaints"
CREATE INDEX `complaint_received_at` ON `complaints` (`received_at`);
-- Create "customers" table
CREATE TABLE `customers` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `external_id` text NULL, `name` text NOT NULL, `phone_enc` text NULL, `phone_hash` text NULL, `id_number_enc` text NULL, `id_number_hash` text NULL, `birth_date` datetime NULL, `gender` text NOT NULL DEFAULT ('unknown'), `occupation` text NOT NULL DEFAULT (''), `income_band` text NOT NULL DEFAULT ('unknown'), `family` json NOT NULL, `health_notes_enc` text NULL, `risk_preference` text NOT NULL DEFAULT ('unknown'), `preferred_channel` text NOT NULL DEFAULT ('phone'), `consent` json NOT NULL, `tags` json NOT NULL, `life_stage` text NOT NULL DEFAULT ('unknown'), `erased_at` datetime NULL, `agent_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `customers_agents_customers` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE SET NULL);
-- Create index "customers_external_id_key" to table: "customers"
CREATE UNIQUE INDEX `customers_external_id_key` ON `customers` (`external_id`);
-- Create index "customer_updated_at" to table: "customers"
CREATE INDEX `customer_updated_at` ON `customers` (`updated_at`);
-- Create index "customer_agent_id" to table: "customers"
CREATE INDEX `customer_agent_id` ON `customers` (`agent_id`);
-- Create index "customer_phone_hash" to table: "customers"
CREATE INDEX `customer_phone_hash` ON `customers` (`phone_hash`);
-- Create index "customer_id_number_hash" to table: "customers"
CREATE INDEX `customer_id_number_hash` ON `customers` (`id_number_hash`);
-- Create "delivery_attempts" table
CREATE TABLE `delivery_attempts` (`id` uuid NOT NULL, `reminder_id` uuid NOT NULL, `device_id` uuid NULL, `at` datetime NOT NULL, `outcome` text NOT NULL, `provider_message_id` text NOT NULL DEFAULT (''), `error_code` text NOT NULL DEFAULT (''), `retry_after_seconds` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- Create index "deliveryattempt_reminder_id_at" to table: "delivery_attempts"
CREATE INDEX `deliveryattempt_reminder_id_at` ON `delivery_attempts` (`reminder_id`, `at`);
-- Create "devices" table
CREATE TABLE `devices` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `agent_id` uuid NULL, `customer_id` uuid NULL, `token` text NOT NULL, `platform` text NOT NULL, `app_version` text NOT NULL DEFAULT (''), `locale` text NOT NULL DEFAULT ('zh-CN'), `time_zone` text NOT NULL DEFAULT ('Asia/Shanghai'), `enabled` bool NOT NULL DEFAULT (true), `disabled_reason` text NOT NULL DEFAULT (''), `last_seen_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "devices_token_key" to table: "devices"
CREATE UNIQUE INDEX `devices_token_key` ON `devices` (`token`);
-- Create index "device_agent_id" to table: "devices"
CREATE INDEX `device_agent_id` ON `devices` (`agent_id`);
-- Create index "device_customer_id" to table: "devices"
CREATE INDEX `device_customer_id` ON `devices` (`customer_id`);
-- Create index "device_last_seen_at" to table: "devices"
CREATE INDEX `device_last_seen_at` ON `devices` (`last_seen_at`);
-- Create "idempotency_records" table
CREATE TABLE `idempotency_records` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `actor` text NOT NULL, `key` text NOT NULL, `method` text NOT NULL, `path` text NOT NULL, `request_hash` text NOT NULL, `status_code` integer NOT NULL, `content_type` text NOT NULL DEFAULT (''), `body` blob NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "idempotencyrecord_actor_key" to table: "idempotency_records"
CREATE UNIQUE INDEX `idempotencyrecord_actor_key` ON `idempotency_records` (`actor`, `key`);
-- Create index "idempotencyrecord_expires_at" to table: "idempotency_records"
CREATE INDEX `idempotencyrecord_expires_at` ON `idempotency_records` (`expires_at`);
-- Create "policies" table
CREATE TABLE `policies` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `external_id` text NULL, `number` text NOT NULL, `product_code` text NOT NULL DEFAULT (''), `product_name` text NOT NULL DEFAULT (''), `line` text NOT NULL, `insured_name` text NOT NULL DEFAULT (''), `holder_name` text NOT NULL DEFAULT (''), `premium_cents` integer NOT NULL, `sum_assured_cents` integer NOT NULL DEFAULT (0), `currency` text NOT NULL DEFAULT ('CNY'), `payment_frequency` text NOT NULL DEFAULT ('annual'), `start_date` datetime NOT NULL, `next_premium_due_date` datetime NULL, `renewal_date` datetime NULL, `status` text NOT NULL DEFAULT ('active'), `missed_payments` integer NOT NULL DEFAULT (0), `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `policies_customers_policies` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "policies_external_id_key" to table: "policies"
CREATE UNIQUE INDEX `policies_external_id_key` ON `policies` (`external_id`);
-- Create index "policies_number_key" to table: "policies"
CREATE UNIQUE INDEX `policies_number_key` ON `policies` (`number`);
-- Create index "insurancepolicy_updated_at" to table: "policies"
CREATE INDEX `insurancepolicy_updated_at` ON `policies` (`updated_at`);
-- Create index "insurancepolicy_customer_id" to table: "policies"
CREATE INDEX `insurancepolicy_customer_id` ON `policies` (`customer_id`);
-- Create index "insurancepolicy_next_premium_due_date" to table: "policies"
CREATE INDEX `insurancepolicy_next_premium_due_date` ON `policies` (`next_premium_due_date`);
-- Create index "insurancepolicy_renewal_date" to table: "policies"
CREATE INDEX `insurancepolicy_renewal_date` ON `policies` (`renewal_date`);
-- Create index "insurancepolicy_status" to table: "policies"
CREATE INDEX `insurancepolicy_status` ON `policies` (`status`);
-- Create "integrator_clients" table
CREATE TABLE `integrator_clients` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` text NOT NULL, `name` text NOT NULL DEFAULT (''), `secret_hash` text NOT NULL, `scopes` json NOT NULL, `disabled` bool NOT NULL DEFAULT (false), `last_used_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "integrator_clients_client_id_key" to table: "integrator_clients"
CREATE UNIQUE INDEX `integrator_clients_client_id_key` ON `integrator_clients` (`client_id`);
-- Create "interactions" table
CREATE TABLE `interactions` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `agent_id` uuid NULL, `channel` text NOT NULL, `type` text NOT NULL, `content` text NOT NULL DEFAULT (''), `result` text NOT NULL DEFAULT (''), `feedback` text NOT NULL DEFAULT (''), `received_at` datetime NOT NULL, `first_response_at` datetime NULL, `answers_interaction_id` uuid NULL, `task_id` uuid NULL, `plan_step_id` uuid NULL, `toolkit_item_ids` json NOT NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `interactions_customers_interactions` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "interaction_updated_at" to table: "interactions"
CREATE INDEX `interaction_updated_at` ON `interactions` (`updated_at`);
-- Create index "interaction_customer_id_received_at" to table: "interactions"
CREATE INDEX `interaction_customer_id_received_at` ON `interactions` (`customer_id`, `received_at`);
-- Create index "interaction_type_received_at" to table: "interactions"
CREATE INDEX `interaction_type_received_at` ON `interactions` (`type`, `received_at`);
-- Create "notifications" table
CREATE TABLE `notifications` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `agent_id` uuid NOT NULL, `customer_id` uuid NULL, `policy_id` uuid NULL, `kind` text NOT NULL, `title` text NOT NULL, `body` text NOT NULL DEFAULT (''), `data` json NOT NULL, `deep_link` text NOT NULL DEFAULT (''), `read_at` datetime NULL, `dedupe_key` text NULL, PRIMARY KEY (`id`));
-- Create index "notifications_dedupe_key_key" to table: "notifications"
CREATE UNIQUE INDEX `notifications_dedupe_key_key` ON `notifications` (`dedupe_key`);
-- Create index "notification_updated_at" to table: "notifications"
CREATE INDEX `notification_updated_at` ON `notifications` (`updated_at`);
-- Create index "notification_agent_id_created_at" to table: "notifications"
CREATE INDEX `notification_agent_id_created_at` ON `notifications` (`agent_id`, `created_at`);
-- Create "nps_answers" table
CREATE TABLE `nps_answers` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `agent_id` uuid NULL, `interaction_id` uuid NULL, `score` integer NOT NULL, `comment` text NOT NULL DEFAULT (''), `answered_at` datetime NOT NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `nps_answers_customers_nps_answers` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "npsanswer_answered_at" to table: "nps_answers"
CREATE INDEX `npsanswer_answered_at` ON `nps_answers` (`answered_at`);
-- Create "plan_rules" table
CREATE TABLE `plan_rules` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `name` text NOT NULL, `description` text NOT NULL DEFAULT (''), `enabled` bool NOT NULL DEFAULT (true), `builtin` bool NOT NULL DEFAULT (false), `revision` integer NOT NULL DEFAULT (1), `priority` text NOT NULL DEFAULT ('medium'), `scenario` text NOT NULL, `conditions` json NOT NULL, `step` json NOT NULL, PRIMARY KEY (`id`));
-- Create index "plan_rules_key_key" to table: "plan_rules"
CREATE UNIQUE INDEX `plan_rules_key_key` ON `plan_rules` (`key`);
-- Create "plan_steps" table
CREATE TABLE `plan_steps` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `position` integer NOT NULL, `rule_key` text NOT NULL, `rule_revision` integer NOT NULL DEFAULT (1), `scenario` text NOT NULL, `title` text NOT NULL, `priority` text NOT NULL DEFAULT ('medium'), `due_at` datetime NULL, `status` text NOT NULL DEFAULT ('todo'), `task_id` uuid NULL, `toolkit_item_ids` json NOT NULL, `checklist` json NOT NULL, `dedupe_key` text NOT NULL DEFAULT (''), `plan_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `plan_steps_service_plans_steps` FOREIGN KEY (`plan_id`) REFERENCES `service_plans` (`id`) ON DELETE NO ACTION);
-- Create index "planstep_plan_id_dedupe_key" to table: "plan_steps"
CREATE UNIQUE INDEX `planstep_plan_id_dedupe_key` ON `plan_steps` (`plan_id`, `dedupe_key`);
-- Create "portraits" table
CREATE TABLE `portraits` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `life_stage` text NOT NULL DEFAULT ('unknown'), `policies_summary` json NOT NULL, `coverage_gaps` json NOT NULL, `churn_risk` json NOT NULL, `last_contact_at` datetime NULL, `open_complaints` integer NOT NULL DEFAULT (0), `claims` json NOT NULL, `years_without_claim` integer NOT NULL DEFAULT (0), `nps` json NOT NULL, `timeline` json NOT NULL, `computed_at` datetime NOT NULL, `inputs_hash` text NOT NULL DEFAULT (''), `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `portraits_customers_portrait` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "portraits_customer_id_key" to table: "portraits"
CREATE UNIQUE INDEX `portraits_customer_id_key` ON `portraits` (`customer_id`);
-- Create index "portrait_updated_at" to table: "portraits"
CREATE INDEX `portrait_updated_at` ON `portraits` (`updated_at`);
-- Create "products" table
CREATE TABLE `products` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `code` text NOT NULL, `name` text NOT NULL, `line` text NOT NULL, `hesitation_days` integer NOT NULL DEFAULT (15), PRIMARY KEY (`id`));
-- Create index "products_code_key" to table: "products"
CREATE UNIQUE INDEX `products_code_key` ON `products` (`code`);
-- Create "refresh_tokens" table
CREATE TABLE `refresh_tokens` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `family_id` uuid NOT NULL, `token_hash` text NOT NULL, `expires_at` datetime NOT NULL, `spent_at` datetime NULL, `revoked_at` datetime NULL, `agent_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `refresh_tokens_agents_refresh_tokens` FOREIGN KEY (`agent_id`) REFERENCES `agents` (`id`) ON DELETE NO ACTION);
-- Create index "refresh_tokens_token_hash_key" to table: "refresh_tokens"
CREATE UNIQUE INDEX `refresh_tokens_token_hash_key` ON `refresh_tokens` (`token_hash`);
-- Create index "refreshtoken_family_id" to table: "refresh_tokens"
CREATE INDEX `refreshtoken_family_id` ON `refresh_tokens` (`family_id`);
-- Create "reminders" table
CREATE TABLE `reminders` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `policy_id` uuid NOT NULL, `customer_id` uuid NOT NULL, `recipient_kind` text NOT NULL, `recipient_id` uuid NOT NULL, `due_kind` text NOT NULL, `due_date` datetime NOT NULL, `window_days` integer NOT NULL, `scheduled_for` datetime NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `lease_owner` text NOT NULL DEFAULT (''), `lease_until` datetime NULL, `sent_at` datetime NULL, `last_error` text NOT NULL DEFAULT (''), `provider_message_id` text NOT NULL DEFAULT (''), `notification_id` uuid NULL, PRIMARY KEY (`id`));
-- Create index "reminder_policy_id_due_kind_due_c8e3c08273d740b9d27bb3be22affb14" to table: "reminders"
CREATE UNIQUE INDEX `reminder_policy_id_due_kind_due_c8e3c08273d740b9d27bb3be22affb14` ON `reminders` (`policy_id`, `due_kind`, `due_date`, `window_days`, `recipient_kind`, `recipient_id`);
-- Create index "reminder_status_scheduled_for" to table: "reminders"
CREATE INDEX `reminder_status_scheduled_for` ON `reminders` (`status`, `scheduled_for`);
-- Create "server_meta" table
CREATE TABLE `server_meta` (`id` text NOT NULL, `value` text NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create "service_plans" table
CREATE TABLE `service_plans` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `generated_at` datetime NOT NULL, `rules_version` integer NOT NULL DEFAULT (0), `inputs_hash` text NOT NULL DEFAULT (''), `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `service_plans_customers_service_plan` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "service_plans_customer_id_key" to table: "service_plans"
CREATE UNIQUE INDEX `service_plans_customer_id_key` ON `service_plans` (`customer_id`);
-- Create index "serviceplan_updated_at" to table: "service_plans"
CREATE INDEX `serviceplan_updated_at` ON `service_plans` (`updated_at`);
-- Create "sync_mutations" table
CREATE TABLE `sync_mutations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `agent_id` uuid NOT NULL, `mutation_id` text NOT NULL, `device_id` text NOT NULL DEFAULT (''), `collection` text NOT NULL, `record_id` uuid NOT NULL, `result` blob NOT NULL, PRIMARY KEY (`id`));
-- Create index "syncmutation_agent_id_mutation_id" to table: "sync_mutations"
CREATE UNIQUE INDEX `syncmutation_agent_id_mutation_id` ON `sync_mutations` (`agent_id`, `mutation_id`);
-- Create index "syncmutation_created_at" to table: "sync_mutations"
CREATE INDEX `syncmutation_created_at` ON `sync_mutations` (`created_at`);
-- Create "tasks" table
CREATE TABLE `tasks` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `agent_id` uuid NULL, `plan_step_id` uuid NULL, `rule_key` text NOT NULL DEFAULT (''), `scenario` text NULL, `title` text NOT NULL, `description` text NOT NULL DEFAULT (''), `priority` text NOT NULL DEFAULT ('medium'), `status` text NOT NULL DEFAULT ('todo'), `due_at` datetime NULL, `completed_at` datetime NULL, `skip_reason` text NOT NULL DEFAULT (''), `toolkit_item_ids` json NOT NULL, `checklist` json NOT NULL, `created_by` uuid NULL, `customer_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `tasks_customers_tasks` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE NO ACTION);
-- Create index "task_updated_at" to table: "tasks"
CREATE INDEX `task_updated_at` ON `tasks` (`updated_at`);
-- Create index "task_customer_id" to table: "tasks"
CREATE INDEX `task_customer_id` ON `tasks` (`customer_id`);
-- Create index "task_status_due_at" to table: "tasks"
CREATE INDEX `task_status_due_at` ON `tasks` (`status`, `due_at`);
-- Create "teams" table
CREATE TABLE `teams` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, PRIMARY KEY (`id`));
-- Create index "teams_name_key" to table: "teams"
CREATE UNIQUE INDEX `teams_name_key` ON `teams` (`name`);
-- Create "toolkit_items" table
CREATE TABLE `toolkit_items` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `key` text NOT NULL, `kind` text NOT NULL, `scenario` text NOT NULL, `tier` text NOT NULL DEFAULT ('basic'), `locale` text NOT NULL DEFAULT ('zh-CN'), `title` text NOT NULL, `summary` text NOT NULL DEFAULT (''), `tags` json NOT NULL, `status` text NOT NULL DEFAULT ('draft'), `revision` integer NOT NULL DEFAULT (0), `content` json NOT NULL, `published_at` datetime NULL, PRIMARY KEY (`id`));
-- Create index "toolkit_items_key_key" to table: "toolkit_items"
CREATE UNIQUE INDEX `toolkit_items_key_key` ON `toolkit_items` (`key`);
-- Create index "toolkititem_updated_at" to table: "toolkit_items"
CREATE INDEX `toolkititem_updated_at` ON `toolkit_items` (`updated_at`);
-- Create index "toolkititem_status_scenario" to table: "toolkit_items"
CREATE INDEX `toolkititem_status_scenario` ON `toolkit_items` (`status`, `scenario`);
-- Create "toolkit_revisions" table
CREATE TABLE `toolkit_revisions` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `number` integer NOT NULL, `status` text NOT NULL DEFAULT ('draft'), `title` text NOT NULL, `summary` text NOT NULL DEFAULT (''), `tags` json NOT NULL, `content` json NOT NULL, `author_id` uuid NULL, `published_at` datetime NULL, `item_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `toolkit_revisions_toolkit_items_revisions` FOREIGN KEY (`item_id`) REFERENCES `toolkit_items` (`id`) ON DELETE NO ACTION);
-- Create index "toolkitrevision_item_id_number" to table: "toolkit_revisions"
CREATE UNIQUE INDEX `toolkitrevision_item_id_number` ON `toolkit_revisions` (`item_id`, `number`);
-- Create "toolkit_usages" table
CREATE TABLE `toolkit_usages` (`id` uuid NOT NULL, `item_id` uuid NOT NULL, `revision` integer NOT NULL DEFAULT (0), `agent_id` uuid NULL, `customer_id` uuid NULL, `interaction_id` uuid NULL, `task_id` uuid NULL, `used_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "toolkitusage_used_at" to table: "toolkit_usages"
CREATE INDEX `toolkitusage_used_at` ON `toolkit_usages` (`used_at`);
-- Create index "toolkitusage_interaction_id" to table: "toolkit_usages"
CREATE INDEX `toolkitusage_interaction_id` ON `toolkit_usages` (`interaction_id`);
-- Create index "toolkitusage_task_id" to table: "toolkit_usages"
CREATE INDEX `toolkitusage_task_id` ON `toolkit_usages` (`task_id`);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event` text NOT NULL, `event_id` uuid NOT NULL, `subject_id` text NOT NULL DEFAULT (''), `payload` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` json NOT NULL, `next_attempt_at` datetime NULL, `lease_owner` text NOT NULL DEFAULT (''), `lease_until` datetime NULL, `delivered_at` datetime NULL, `subscription_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_deliveries_webhook_subscriptions_deliveries` FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions` (`id`) ON DELETE NO ACTION);
-- Create index "webhookdelivery_subscription_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_subscription_id_event_id` ON `webhook_deliveries` (`subscription_id`, `event_id`);
-- Create index "webhookdelivery_status_next_attempt_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_status_next_attempt_at` ON `webhook_deliveries` (`status`, `next_attempt_at`);
-- Create index "webhookdelivery_subscription_id_subject_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_subscription_id_subject_id_created_at` ON `webhook_deliveries` (`subscription_id`, `subject_id`, `created_at`);
-- Create "webhook_subscriptions" table
CREATE TABLE `webhook_subscriptions` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `client_id` uuid NULL, `url` text NOT NULL, `events` json NOT NULL, `secret_enc` text NOT NULL, `active` bool NOT NULL DEFAULT (true), `description` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
