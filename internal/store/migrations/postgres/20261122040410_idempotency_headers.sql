-- Modify "idempotency_records" table
ALTER TABLE "idempotency_records" ADD COLUMN "headers" jsonb NULL;
