CREATE TABLE "facet_values" (
	"token" text PRIMARY KEY NOT NULL
);
--> statement-breakpoint
INSERT INTO "facet_values" ("token")
SELECT DISTINCT unnest("facet_tokens") FROM "models"
ON CONFLICT DO NOTHING;
