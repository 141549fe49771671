/**
 * The catalog's list row: a model with its head version, in one SQL shape shared by the list,
 * search and detail reads so they always agree.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../core/db/index.js';
import type { Actor } from '../identity/index.js';
import type { Q } from './repo.js';
import { visibleSql } from './visibility.js';
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

/**
 * Columns of SummaryRow as `a` sees them; expects aliases m (models), t (teams), v (head version),
 * bm (base model, from summaryFrom). The version count counts the versions `a` may see.
 */
export function summaryColumns(a: Actor): SQL {
  return sql`
  m.id, m.slug, m.name, t.slug AS owner_team, m.description, m.tasks, m.domains, m.tags,
  m.base_ref, m.base_relation, bm.slug AS base_model_slug, bm.name AS base_model_name, m.base_version,
  to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  (SELECT count(*) FROM model_versions c WHERE c.model_id = m.id AND ${visibleSql(a, { team: 't', version: 'c' })})::int AS version_count,
  v.version, v.license, v.languages, v.parameters::float8 AS parameters, v.architecture, v.context_length,
  v.maturity, v.lifecycle, v.compliance_status, v.min_gpu_memory_gb::float8 AS min_gpu_memory_gb,
  v.recommended_gpu, v.cpu_inference, v.frameworks, v.quantizations, v.deprecation_replacement,
  v.deprecation_deadline::text AS deprecation_deadline, v.deprecation_reason`;
}

/**
 * Models with owner team, head version and base model. The base model joins only when `a` may see
 * it, so a hidden base is neither named nor linked (the model's own base ref stays).
 */
export function summaryFrom(a: Actor): SQL {
  return sql`
  models m
  JOIN teams t ON t.id = m.owner_team_id
  LEFT JOIN model_versions v ON v.id = m.head_version_id
  LEFT JOIN (models bm JOIN teams bt ON bt.id = bm.owner_team_id LEFT JOIN model_versions bv ON bv.id = bm.head_version_id)
    ON bm.slug = m.base_slug AND ${visibleSql(a, { team: 'bt', version: 'bv' })}`;
}

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

/** Summaries of the models matching `where`, as `a` sees them (`where` must include visibility). */
export async function selectSummaries(q: Q, a: Actor, where: SQL): Promise<ModelSummaryT[]> {
  const rows = await queryRows<SummaryRow>(q, sql`SELECT ${summaryColumns(a)} FROM ${summaryFrom(a)} WHERE ${where}`);
  return rows.map(toSummary);
}
