-- Create index "claim_agent_id_filed_at" to table: "claims"
CREATE INDEX "claim_agent_id_filed_at" ON "claims" ("agent_id", "filed_at");
-- Create index "complaint_agent_id_received_at" to table: "complaints"
CREATE INDEX "complaint_agent_id_received_at" ON "complaints" ("agent_id", "received_at");
-- Create index "interaction_agent_id_received_at" to table: "interactions"
CREATE INDEX "interaction_agent_id_received_at" ON "interactions" ("agent_id", "received_at");
-- Create index "interaction_received_at_type_a_c2b6cf81f448d0030443e33f0ace6c25" to table: "interactions"
CREATE INDEX "interaction_received_at_type_a_c2b6cf81f448d0030443e33f0ace6c25" ON "interactions" ("received_at", "type", "answers_interaction_id", "first_response_at", "agent_id", "customer_id");
-- Create index "task_agent_id_due_at" to table: "tasks"
CREATE INDEX "task_agent_id_due_at" ON "tasks" ("agent_id", "due_at");
-- Create index "task_due_at_plan_step_id_statu_fdfe1ad2a4799c527b43b5342f7317bb" to table: "tasks"
CREATE INDEX "task_due_at_plan_step_id_statu_fdfe1ad2a4799c527b43b5342f7317bb" ON "tasks" ("due_at", "plan_step_id", "status", "completed_at", "agent_id", "customer_id");
-- Drop index "toolkitusage_used_at" from table: "toolkit_usages"
DROP INDEX "toolkitusage_used_at";
-- Create index "toolkitusage_used_at_interaction_id_agent_id_customer_id" to table: "toolkit_usages"
CREATE INDEX "toolkitusage_used_at_interaction_id_agent_id_customer_id" ON "toolkit_usages" ("used_at", "interaction_id", "agent_id", "customer_id");
