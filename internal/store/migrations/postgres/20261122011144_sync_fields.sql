-- Modify "change_logs" table
ALTER TABLE "change_logs" ADD COLUMN "prev_agent_id" uuid NULL, ADD COLUMN "team_id" uuid NULL, ADD COLUMN "prev_team_id" uuid NULL;
-- Modify "claims" table
ALTER TABLE "claims" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "complaints" table
ALTER TABLE "complaints" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "customers" table
ALTER TABLE "customers" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "interactions" table
ALTER TABLE "interactions" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "notifications" table
ALTER TABLE "notifications" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "policies" table
ALTER TABLE "policies" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "portraits" table
ALTER TABLE "portraits" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "service_plans" table
ALTER TABLE "service_plans" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "tasks" table
ALTER TABLE "tasks" ADD COLUMN "field_versions" jsonb NULL;
-- Modify "toolkit_items" table
ALTER TABLE "toolkit_items" ADD COLUMN "field_versions" jsonb NULL;
