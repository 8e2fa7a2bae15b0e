-- AlterTable
ALTER TABLE "Approval" ADD COLUMN     "condition" TEXT,
ADD COLUMN     "policy" TEXT;

