-- Create index "claim_agent_id_filed_at" to table: "claims"
CREATE INDEX `claim_agent_id_filed_at` ON `claims` (`agent_id`, `filed_at`);
-- Create index "complaint_agent_id_received_at" to table: "complaints"
CREATE INDEX `complaint_agent_id_received_at` ON `complaints` (`agent_id`, `received_at`);
-- Create index "interaction_agent_id_received_at" to table: "interactions"
CREATE INDEX `interaction_agent_id_received_at` ON `interactions` (`agent_id`, `received_at`);
-- Create index "interaction_received_at_type_an_f825929d23ab85df5173a34b9efc1839" to table: "interactions"
CREATE INDEX `interaction_received_at_type_an_f825929d23ab85df5173a34b9efc1839` ON `interactions` (`received_at`, `type`, `answers_interaction_id`, `first_response_at`, `agent_id`, `customer_id`);
-- Create index "task_agent_id_due_at" to table: "tasks"
CREATE INDEX `task_agent_id_due_at` ON `tasks` (`agent_id`, `due_at`);
-- Create index "task_due_at_plan_step_id_status_fc4b72a809797fb72038da26c0342156" to table: "tasks"
CREATE INDEX `task_due_at_plan_step_id_status_fc4b72a809797fb72038da26c0342156` ON `tasks` (`due_at`, `plan_step_id`, `status`, `completed_at`, `agent_id`, `customer_id`);
-- Drop index "toolkitusage_used_at" from table: "toolkit_usages"
DROP INDEX `toolkitusage_used_at`;
-- Create index "toolkitusage_used_at_interaction_id_agent_id_customer_id" to table: "toolkit_usages"
CREATE INDEX `toolkitusage_used_at_interaction_id_agent_id_customer_id` ON `toolkit_usages` (`used_at`, `interaction_id`, `agent_id`, `customer_id`);
