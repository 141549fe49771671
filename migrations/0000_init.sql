CREATE TABLE "benchmark_results" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "benchmark_results_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"version_id" integer NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"suite" text NOT NULL,
	"suite_version" text,
	"dataset" text,
	"metric" text NOT NULL,
	"value" double precision NOT NULL,
	"higher_is_better" boolean DEFAULT true NOT NULL,
	"date" date,
	"hardware" text
);
--> statement-breakpoint
CREATE TABLE "gpu_requirements" (
	"version_id" integer NOT NULL,
	"quantization" text NOT NULL,
	"min_gpu_memory_gb" double precision,
	CONSTRAINT "gpu_requirements_version_id_quantization_pk" PRIMARY KEY("version_id","quantization")
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_versions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"model_id" integer NOT NULL,
	"version" text NOT NULL,
	"version_sort" text NOT NULL,
	"languages" text[] DEFAULT '{}'::text[] NOT NULL,
	"license" text,
	"parameters" bigint,
	"architecture" text,
	"context_length" integer,
	"recommended_gpu" text,
	"cpu_inference" boolean DEFAULT false NOT NULL,
	"ram_gb" double precision,
	"min_gpu_memory_gb" double precision,
	"formats" text[] DEFAULT '{}'::text[] NOT NULL,
	"frameworks" text[] DEFAULT '{}'::text[] NOT NULL,
	"quantizations" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_context_tested" integer,
	"intended_use" text DEFAULT '' NOT NULL,
	"limitations" text DEFAULT '' NOT NULL,
	"training_data" text DEFAULT '' NOT NULL,
	"card_markdown" text DEFAULT '' NOT NULL,
	"compliance_status" text DEFAULT 'pending' NOT NULL,
	"compliance_reviewed_at" date,
	"approved_use_cases" text[] DEFAULT '{}'::text[] NOT NULL,
	"restrictions" text[] DEFAULT '{}'::text[] NOT NULL,
	"maturity" text DEFAULT 'experimental' NOT NULL,
	"lifecycle" text DEFAULT 'draft' NOT NULL,
	"deprecation_replacement" text,
	"deprecation_deadline" date,
	"deprecation_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_versions_maturity_check" CHECK ("model_versions"."maturity" IN ('experimental','validated','production')),
	CONSTRAINT "model_versions_lifecycle_check" CHECK ("model_versions"."lifecycle" IN ('draft','submitted','approved','deprecated','retired')),
	CONSTRAINT "model_versions_compliance_check" CHECK ("model_versions"."compliance_status" IN ('pending','approved','rejected','expired'))
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "models_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"owner_team_id" integer NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tasks" text[] DEFAULT '{}'::text[] NOT NULL,
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"base_ref" text,
	"base_relation" text,
	"base_slug" text,
	"base_version" text,
	"head_version_id" integer,
	"search_doc" "tsvector",
	"search_text" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "models_base_relation_check" CHECK ("models"."base_relation" IS NULL OR "models"."base_relation" IN ('finetune','quantized','adapter','merge','distilled'))
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "teams_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "teams_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "benchmark_results" ADD CONSTRAINT "benchmark_results_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gpu_requirements" ADD CONSTRAINT "gpu_requirements_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "models" ADD CONSTRAINT "models_owner_team_id_teams_id_fk" FOREIGN KEY ("owner_team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "benchmark_results_version_idx" ON "benchmark_results" USING btree ("version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_model_version_key" ON "model_versions" USING btree ("model_id","version");--> statement-breakpoint
CREATE INDEX "model_versions_lifecycle_idx" ON "model_versions" USING btree ("lifecycle");--> statement-breakpoint
CREATE INDEX "model_versions_maturity_idx" ON "model_versions" USING btree ("maturity");--> statement-breakpoint
CREATE UNIQUE INDEX "models_slug_key" ON "models" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "models_base_slug_idx" ON "models" USING btree ("base_slug");--> statement-breakpoint
CREATE INDEX "models_owner_idx" ON "models" USING btree ("owner_team_id");--> statement-breakpoint
CREATE INDEX "models_updated_idx" ON "models" USING btree ("updated_at","id");--> statement-breakpoint
CREATE INDEX "models_name_idx" ON "models" USING btree ("name","id");