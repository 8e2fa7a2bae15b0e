-- AlterTable
ALTER TABLE "Host" ADD COLUMN "agentPlatform" TEXT;
ALTER TABLE "Host" ADD COLUMN "previousAgentVersion" TEXT;

