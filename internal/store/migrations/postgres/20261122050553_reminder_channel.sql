-- Modify "reminders" table
ALTER TABLE "reminders" ADD COLUMN "channel" character varying NULL;
