-- AlterTable
ALTER TABLE "AgentCredential" ADD COLUMN     "pendingSecretHash" TEXT;

