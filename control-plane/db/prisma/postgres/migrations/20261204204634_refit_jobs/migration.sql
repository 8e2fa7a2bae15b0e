-- CreateTable
CREATE TABLE "RefitJob" (
    "id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "slot" TEXT,
    "job" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "heartbeatAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RefitJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RefitJob_slot_key" ON "RefitJob"("slot");

-- CreateIndex
CREATE INDEX "RefitJob_createdAt_idx" ON "RefitJob"("createdAt");

