-- AlterTable
ALTER TABLE "AgentCredential" ADD COLUMN     "rotationQueuedAt" TIMESTAMP(3);

