-- AlterTable
ALTER TABLE "AgentCredential" ADD COLUMN "rotationQueuedAt" DATETIME;

