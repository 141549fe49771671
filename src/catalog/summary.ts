/**
 * The catalog's list row: a model with its head version, in one SQL shape shared by the list,
 * search and detail reads so they always agree.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../core/db/index.js';
import type { Q } from './repo.js';
import type { ModelSummaryT } from './views.js';

export interface SummaryRow {
  id: number;
  slug: string;
  name: string;
  owner_team: string;
  description: string;
  tasks: string[];
  domains: string[];
  tags: string[];
  base_ref: string | null;
  base_relation: string | null;
  base_model_slug: string | null;
  base_model_name: string | null;
  base_version: string | null;
  created_at: string;
  updated_at: string;
  version_count: number;
  version: string | null;
  license: string | null;
  languages: string[] | null;
  parameters: number | null;
  architecture: string | null;
  context_length: number | null;
  maturity: string | null;
  lifecycle: string | null;
  compliance_status: string | null;
  min_gpu_memory_gb: number | null;
  recommended_gpu: string | null;
  cpu_inference: boolean | null;
  frameworks: string[] | null;
  quantizations: string[] | null;
  deprecation_replacement: string | null;
  deprecation_deadline: string | null;
  deprecation_reason: string | null;
}

/** Columns of SummaryRow; expects aliases m (models), t (teams), v (head version), bm (base model). */
export const SUMMARY_COLUMNS = sql`
  m.id, m.slug, m.name, t.slug AS owner_team, m.description, m.tasks, m.domains, m.tags,
  m.base_ref, m.base_relation, bm.slug AS base_model_slug, bm.name AS base_model_name, m.base_version,
  to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  (SELECT count(*) FROM model_versions c WHERE c.model_id = m.id)::int AS version_count,
  v.version, v.license, v.languages, v.parameters::float8 AS parameters, v.architecture, v.context_length,
  v.maturity, v.lifecycle, v.compliance_status, v.min_gpu_memory_gb::float8 AS min_gpu_memory_gb,
  v.recommended_gpu, v.cpu_inference, v.frameworks, v.quantizations, v.deprecation_replacement,
  v.deprecation_deadline::text AS deprecation_deadline, v.deprecation_reason`;

export const SUMMARY_FROM = sql`
  models m
  JOIN teams t ON t.id = m.owner_team_id
  LEFT JOIN model_versions v ON v.id = m.head_version_id
  LEFT JOIN models bm ON bm.slug = m.base_slug`;

export function toSummary(r: SummaryRow): ModelSummaryT {
  const deprecated = r.deprecation_replacement || r.deprecation_deadline || r.deprecation_reason;
  return {
    slug: r.slug,
    name: r.name,
    ownerTeam: r.owner_team,
    description: r.description,
    tasks: r.tasks,
    domains: r.domains,
    tags: r.tags,
    baseModel:
      r.base_ref && r.base_relation
        ? {
            ref: r.base_ref,
            relation: r.base_relation as never,
            model: r.base_model_slug
              ? { slug: r.base_model_slug, name: r.base_model_name ?? r.base_model_slug, version: r.base_version }
              : null,
          }
        : null,
    head:
      r.version === null
        ? null
        : {
            version: r.version,
            license: r.license,
            languages: r.languages ?? [],
            parameters: r.parameters === null ? null : Number(r.parameters),
            architecture: r.architecture,
            contextLength: r.context_length,
            maturity: r.maturity as never,
            lifecycle: r.lifecycle as never,
            complianceStatus: r.compliance_status as never,
            minGpuMemoryGb: r.min_gpu_memory_gb === null ? null : Number(r.min_gpu_memory_gb),
            recommendedGpu: r.recommended_gpu,
            cpuInference: r.cpu_inference ?? false,
            frameworks: r.frameworks ?? [],
            quantizations: r.quantizations ?? [],
            deprecation: deprecated
              ? { replacement: r.deprecation_replacement, deadline: r.deprecation_deadline, reason: r.deprecation_reason }
              : null,
          },
    versionCount: r.version_count,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function selectSummaries(q: Q, where: SQL): Promise<ModelSummaryT[]> {
  const rows = await queryRows<SummaryRow>(q, sql`SELECT ${SUMMARY_COLUMNS} FROM ${SUMMARY_FROM} WHERE ${where}`);
  return rows.map(toSummary);
}
