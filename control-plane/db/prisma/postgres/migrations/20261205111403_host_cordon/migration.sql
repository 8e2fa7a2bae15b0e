-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "cordonReason" TEXT,
ADD COLUMN     "cordonSource" TEXT,
ADD COLUMN     "cordonedAt" TIMESTAMP(3),
ADD COLUMN     "cordonedBy" TEXT,
ADD COLUMN     "uncordonedAt" TIMESTAMP(3);

