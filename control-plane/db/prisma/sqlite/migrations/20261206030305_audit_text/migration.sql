-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_AuditEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" JSONB NOT NULL,
    "text" TEXT NOT NULL DEFAULT ''
);
INSERT INTO "new_AuditEntry" ("action", "actor", "actorType", "at", "detail", "id", "target") SELECT "action", "actor", "actorType", "at", "detail", "id", "target" FROM "AuditEntry";
DROP TABLE "AuditEntry";
ALTER TABLE "new_AuditEntry" RENAME TO "AuditEntry";
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");
CREATE INDEX "AuditEntry_action_idx" ON "AuditEntry"("action");
CREATE INDEX "AuditEntry_actor_idx" ON "AuditEntry"("actor");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- Backfill: the free-text search's column for entries written before it existed (audit-repository.ts).
UPDATE "AuditEntry" SET "text" = lower("actor" || char(10) || "action" || char(10) || coalesce("target", '') || char(10) || "detail");
