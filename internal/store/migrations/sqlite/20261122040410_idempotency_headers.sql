-- Add column "headers" to table: "idempotency_records"
ALTER TABLE `idempotency_records` ADD COLUMN `headers` json NULL;
