-- Add column "prev_agent_id" to table: "change_logs"
ALTER TABLE `change_logs` ADD COLUMN `prev_agent_id` uuid NULL;
-- Add column "team_id" to table: "change_logs"
ALTER TABLE `change_logs` ADD COLUMN `team_id` uuid NULL;
-- Add column "prev_team_id" to table: "change_logs"
ALTER TABLE `change_logs` ADD COLUMN `prev_team_id` uuid NULL;
-- Add column "field_versions" to table: "claims"
ALTER TABLE `claims` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "complaints"
ALTER TABLE `complaints` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "customers"
ALTER TABLE `customers` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "policies"
ALTER TABLE `policies` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "interactions"
ALTER TABLE `interactions` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "notifications"
ALTER TABLE `notifications` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "portraits"
ALTER TABLE `portraits` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "service_plans"
ALTER TABLE `service_plans` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "tasks"
ALTER TABLE `tasks` ADD COLUMN `field_versions` json NULL;
-- Add column "field_versions" to table: "toolkit_items"
ALTER TABLE `toolkit_items` ADD COLUMN `field_versions` json NULL;
