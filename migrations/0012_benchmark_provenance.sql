ALTER TABLE "benchmark_results" ADD COLUMN "source" text DEFAULT 'reported' NOT NULL;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD COLUMN "run_id" uuid;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD COLUMN "reported_by" uuid;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD COLUMN "accepted_by" uuid;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD COLUMN "accepted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_run_id_evaluation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."evaluation_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_reported_by_users_id_fk" FOREIGN KEY ("reported_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_accepted_by_users_id_fk" FOREIGN KEY ("accepted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_source_check" CHECK ("benchmark_results"."source" IN ('measured','reported'));--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_accepted_check" CHECK ("benchmark_results"."source" = 'reported' OR "benchmark_results"."accepted_at" IS NULL);--> statement-breakpoint
-- Existing results: every row starts as 'reported' (typed by a team or imported). A row a suite
-- run wrote is recognisable: the latest succeeded run of that suite on that version, at the
-- suite revision the row names, lists the same metric with the same value. Those become
-- 'measured' and name their run; nothing typed is ever promoted without that match.
UPDATE "benchmark_results" b
   SET "source" = 'measured', "run_id" = r."id"
  FROM "evaluation_runs" r
 WHERE r."id" = (SELECT r2."id" FROM "evaluation_runs" r2
                  WHERE r2."version_id" = b."version_id" AND r2."suite" = b."suite" AND r2."state" = 'succeeded'
                  ORDER BY r2."finished_at" DESC NULLS LAST, r2."created_at" DESC LIMIT 1)
   AND b."suite_version" IS NOT DISTINCT FROM r."suite_revision"::text
   AND jsonb_typeof(r."results") = 'array'
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(r."results") e
                WHERE e->>'metric' = b."metric" AND jsonb_typeof(e->'value') = 'number'
                  AND (e->>'value')::double precision = b."value");
