-- Add column "channel" to table: "reminders"
ALTER TABLE `reminders` ADD COLUMN `channel` text NULL;
