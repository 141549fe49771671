CREATE TABLE "search_words" (
	"word" text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "search_words_trgm_idx" ON "search_words" USING gin ("word" gin_trgm_ops);
--> statement-breakpoint
INSERT INTO "search_words" ("word")
SELECT DISTINCT w FROM "models" m,
  regexp_split_to_table(lower(m.name || ' ' || m.slug || ' ' || array_to_string(m.tasks || m.tags || m.domains, ' ') || ' ' || m.description), '[^a-z0-9]+') w
WHERE length(w) >= 4
ON CONFLICT DO NOTHING;
