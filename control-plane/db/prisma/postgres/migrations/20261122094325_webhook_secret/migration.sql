-- AlterTable
ALTER TABLE "Webhook" ADD COLUMN     "secret" TEXT;

