-- AlterTable
ALTER TABLE "AuditEntry" ADD COLUMN     "text" TEXT NOT NULL DEFAULT '';


-- Backfill: the free-text search's column for entries written before it existed (audit-repository.ts).
UPDATE "AuditEntry" SET "text" = lower("actor" || E'\n' || "action" || E'\n' || coalesce("target", '') || E'\n' || "detail"::text);
