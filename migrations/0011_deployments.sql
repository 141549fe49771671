CREATE TABLE "deployment_templates" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"settings" jsonb NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evaluation_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"suite" text NOT NULL,
	"suite_revision" integer NOT NULL,
	"version_id" integer NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"requested_by" uuid,
	"hardware" text,
	"results" jsonb,
	"samples" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "evaluation_runs_state_check" CHECK ("evaluation_runs"."state" IN ('queued','running','succeeded','failed'))
);
--> statement-breakpoint
CREATE TABLE "team_quotas" (
	"team" text PRIMARY KEY NOT NULL,
	"max_eval_endpoints" integer,
	"max_gpus" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "name" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "template" text DEFAULT 'evaluation' NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "engine" text DEFAULT 'local' NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "settings" jsonb;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "overrides" jsonb;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "gpus" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "endpoint_url" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "handle" jsonb;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "log_tail" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "ready_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "stopped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "stopped_by" uuid;--> statement-breakpoint
ALTER TABLE "evaluation_suites" ADD COLUMN "dataset_digest" text;--> statement-breakpoint
ALTER TABLE "evaluation_suites" ADD COLUMN "dataset_name" text;--> statement-breakpoint
ALTER TABLE "evaluation_suites" ADD COLUMN "dataset_items" integer;--> statement-breakpoint
ALTER TABLE "evaluation_suites" ADD COLUMN "revision" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployment_templates" ADD CONSTRAINT "deployment_templates_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_runs" ADD CONSTRAINT "evaluation_runs_suite_evaluation_suites_name_fk" FOREIGN KEY ("suite") REFERENCES "public"."evaluation_suites"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_runs" ADD CONSTRAINT "evaluation_runs_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_runs" ADD CONSTRAINT "evaluation_runs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "evaluation_runs_version_idx" ON "evaluation_runs" USING btree ("version_id");--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_stopped_by_users_id_fk" FOREIGN KEY ("stopped_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evaluation_suites" ADD CONSTRAINT "evaluation_suites_dataset_digest_blobs_digest_fk" FOREIGN KEY ("dataset_digest") REFERENCES "public"."blobs"("digest") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deployments_team_state_idx" ON "deployments" USING btree ("team","state");--> statement-breakpoint
CREATE INDEX "deployments_name_idx" ON "deployments" USING btree ("name");--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_engine_check" CHECK ("deployments"."engine" IN ('local','kserve','seldon'));--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_state_check" CHECK ("deployments"."state" IN ('running','pending','starting','ready','failed','stopping','stopped','expired'));