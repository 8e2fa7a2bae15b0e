-- CreateTable
CREATE TABLE "RefitJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL,
    "slot" TEXT,
    "job" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "heartbeatAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "RefitJob_slot_key" ON "RefitJob"("slot");

-- CreateIndex
CREATE INDEX "RefitJob_createdAt_idx" ON "RefitJob"("createdAt");

