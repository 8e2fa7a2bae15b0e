-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "agentPlatform" TEXT,
ADD COLUMN     "previousAgentVersion" TEXT;

