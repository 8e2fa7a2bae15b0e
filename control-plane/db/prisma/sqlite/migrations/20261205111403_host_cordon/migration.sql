-- AlterTable
ALTER TABLE "Host" ADD COLUMN "cordonReason" TEXT;
ALTER TABLE "Host" ADD COLUMN "cordonSource" TEXT;
ALTER TABLE "Host" ADD COLUMN "cordonedAt" DATETIME;
ALTER TABLE "Host" ADD COLUMN "cordonedBy" TEXT;
ALTER TABLE "Host" ADD COLUMN "uncordonedAt" DATETIME;

