-- Create index "deliveryattempt_reminder_id_outcome" to table: "delivery_attempts"
CREATE INDEX `deliveryattempt_reminder_id_outcome` ON `delivery_attempts` (`reminder_id`, `outcome`);
-- Create index "reminder_status_next_attempt_at" to table: "reminders"
CREATE INDEX `reminder_status_next_attempt_at` ON `reminders` (`status`, `next_attempt_at`);
