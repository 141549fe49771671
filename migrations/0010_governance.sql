CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version_id" integer NOT NULL,
	"team" text NOT NULL,
	"use_case" text NOT NULL,
	"environment" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deployments_environment_check" CHECK ("deployments"."environment" IN ('evaluation','production'))
);
--> statement-breakpoint
CREATE TABLE "evaluation_suites" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"task" text NOT NULL,
	"metrics" text[] DEFAULT '{}'::text[] NOT NULL,
	"automatic" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scan_reports" (
	"version_id" integer NOT NULL,
	"path" text NOT NULL,
	"digest" text NOT NULL,
	"format" text NOT NULL,
	"verdict" text NOT NULL,
	"findings" jsonb NOT NULL,
	"scanned_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scan_reports_version_id_path_pk" PRIMARY KEY("version_id","path"),
	CONSTRAINT "scan_reports_verdict_check" CHECK ("scan_reports"."verdict" IN ('pass','warn','block'))
);
--> statement-breakpoint
CREATE TABLE "submissions" (
	"version_id" integer PRIMARY KEY NOT NULL,
	"stage" text NOT NULL,
	"evaluation_only" boolean DEFAULT false NOT NULL,
	"submitted_by" uuid,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"scan_verdict" text,
	"ack_by" uuid,
	"ack_comment" text,
	"signed_off_by" uuid,
	"approved_by" uuid,
	"decided_at" timestamp with time zone,
	"reject_reason" text,
	"sla_owner" text,
	CONSTRAINT "submissions_stage_check" CHECK ("submissions"."stage" IN ('checks','awaiting_ack','awaiting_signoff','awaiting_approval','approved','rejected'))
);
--> statement-breakpoint
ALTER TABLE "model_versions" DROP CONSTRAINT "model_versions_lifecycle_check";--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scan_reports" ADD CONSTRAINT "scan_reports_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_version_id_model_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."model_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_submitted_by_users_id_fk" FOREIGN KEY ("submitted_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_ack_by_users_id_fk" FOREIGN KEY ("ack_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_signed_off_by_users_id_fk" FOREIGN KEY ("signed_off_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_approved_by_users_id_fk" FOREIGN KEY ("approved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deployments_version_idx" ON "deployments" USING btree ("version_id");--> statement-breakpoint
CREATE INDEX "submissions_stage_idx" ON "submissions" USING btree ("stage");--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_lifecycle_check" CHECK ("model_versions"."lifecycle" IN ('draft','submitted','approved','rejected','deprecated','retired'));