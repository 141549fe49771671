-- Hand-written: search support that drizzle-kit does not model. Valid on PostgreSQL 15 and PGlite (18).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_search_doc_idx" ON "models" USING gin ("search_doc");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_search_text_trgm_idx" ON "models" USING gin ("search_text" gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_tasks_idx" ON "models" USING gin ("tasks");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_head_version_idx" ON "models" ("head_version_id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_lower_name_c_idx" ON "models" ((lower("name") COLLATE "C"), "id");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_updated_id_idx" ON "models" ("updated_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "models_lower_name_idx" ON "models" (lower("name"));
