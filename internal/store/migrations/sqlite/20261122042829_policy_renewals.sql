-- Create "policy_renewals" table
CREATE TABLE `policy_renewals` (`id` uuid NOT NULL, `policy_id` uuid NOT NULL, `customer_id` uuid NOT NULL, `due_date` datetime NOT NULL, `renewed_to` datetime NOT NULL, `recorded_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "policyrenewal_policy_id_due_date" to table: "policy_renewals"
CREATE UNIQUE INDEX `policyrenewal_policy_id_due_date` ON `policy_renewals` (`policy_id`, `due_date`);
-- Create index "policyrenewal_due_date_customer_id" to table: "policy_renewals"
CREATE INDEX `policyrenewal_due_date_customer_id` ON `policy_renewals` (`due_date`, `customer_id`);
