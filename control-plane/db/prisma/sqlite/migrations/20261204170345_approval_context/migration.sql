-- AlterTable
ALTER TABLE "Approval" ADD COLUMN "condition" TEXT;
ALTER TABLE "Approval" ADD COLUMN "policy" TEXT;

