CREATE TABLE "model_search" (
	"model_id" integer PRIMARY KEY NOT NULL,
	"search_doc" "tsvector" NOT NULL,
	"facet_tokens" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "model_search" ADD CONSTRAINT "model_search_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- hand-written: carry the derived search data over, then index it
INSERT INTO "model_search" ("model_id", "search_doc", "facet_tokens")
SELECT "id", coalesce("search_doc", ''::tsvector), "facet_tokens" FROM "models";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "model_search_doc_idx" ON "model_search" USING gin ("search_doc");--> statement-breakpoint
ALTER TABLE "models" DROP COLUMN "search_doc";--> statement-breakpoint
ALTER TABLE "models" DROP COLUMN "search_text";--> statement-breakpoint
ALTER TABLE "models" DROP COLUMN "facet_tokens";