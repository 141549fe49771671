/** Response shapes of the catalog (zod, so they also document the API). */
import { z } from 'zod';
import { BASE_RELATIONS, Benchmark, COMPLIANCE_STATUSES, LIFECYCLES, MATURITIES } from './model.js';

const Nullable = <T extends z.ZodTypeAny>(t: T) => t.nullable();

export const DeprecationView = z.object({
  replacement: z.string().nullable(),
  deadline: z.string().nullable(),
  reason: z.string().nullable(),
});

export const BaseModelView = z.object({
  ref: z.string(),
  relation: z.enum(BASE_RELATIONS),
  /** Set when the ref names a model in this catalog. */
  model: z.object({ slug: z.string(), name: z.string(), version: z.string().nullable() }).nullable(),
});

export const HeadView = z.object({
  version: z.string(),
  license: z.string().nullable(),
  languages: z.array(z.string()),
  parameters: z.number().nullable(),
  architecture: z.string().nullable(),
  contextLength: z.number().nullable(),
  maturity: z.enum(MATURITIES),
  lifecycle: z.enum(LIFECYCLES),
  complianceStatus: z.enum(COMPLIANCE_STATUSES),
  minGpuMemoryGb: z.number().nullable(),
  recommendedGpu: z.string().nullable(),
  cpuInference: z.boolean(),
  frameworks: z.array(z.string()),
  quantizations: z.array(z.string()),
  deprecation: DeprecationView.nullable(),
});

export const ModelSummary = z.object({
  slug: z.string(),
  name: z.string(),
  ownerTeam: z.string(),
  description: z.string(),
  tasks: z.array(z.string()),
  domains: z.array(z.string()),
  tags: z.array(z.string()),
  baseModel: BaseModelView.nullable(),
  head: HeadView.nullable(),
  versionCount: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * A benchmark result with its provenance: `measured` by Garden (a suite run, `runId`), or
 * `reported` by the team (typed or imported), which counts for a submission only once a
 * platform reviewer has `accepted` it.
 */
export const BenchmarkView = Benchmark.extend({
  id: z.number(),
  suiteVersion: z.string().nullable(),
  dataset: z.string().nullable(),
  date: z.string().nullable(),
  hardware: z.string().nullable(),
  source: z.enum(['measured', 'reported']),
  runId: z.string().nullable(),
  accepted: z.object({ by: z.string().nullable(), at: z.string() }).nullable(),
});

export const VersionView = z.object({
  version: z.string(),
  languages: z.array(z.string()),
  license: z.string().nullable(),
  parameters: z.number().nullable(),
  architecture: z.string().nullable(),
  contextLength: z.number().nullable(),
  hardware: z.object({
    minGpuMemoryGb: z.record(z.string(), z.number().nullable()),
    smallestGpuMemoryGb: z.number().nullable(),
    recommendedGpu: z.string().nullable(),
    cpuInference: z.boolean(),
    ramGb: z.number().nullable(),
  }),
  compatibility: z.object({
    formats: z.array(z.string()),
    frameworks: z.array(z.string()),
    quantizations: z.array(z.string()),
    maxContextTested: z.number().nullable(),
  }),
  benchmarks: z.array(BenchmarkView),
  card: z.object({ intendedUse: z.string(), limitations: z.string(), trainingData: z.string(), markdown: z.string() }),
  compliance: z.object({ status: z.enum(COMPLIANCE_STATUSES), reviewedAt: z.string().nullable() }),
  approvedUseCases: z.array(z.string()),
  restrictions: z.array(z.string()),
  maturity: z.enum(MATURITIES),
  lifecycle: z.enum(LIFECYCLES),
  deprecation: DeprecationView.nullable(),
  artifactUri: z.string(),
  /** Where the version is published as one unit by the artifact store (`oci://host/repo:tag@sha256:…`). */
  artifactManifest: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const LineageNode = z.object({
  slug: z.string(),
  name: z.string(),
  ownerTeam: z.string(),
  relation: z.string().nullable(),
  /** The model this one derives from (its parent in the tree). */
  via: z.string().nullable(),
  depth: z.number(),
  lifecycle: z.enum(LIFECYCLES).nullable(),
});

export const ModelDetail = ModelSummary.extend({
  versions: z.array(VersionView),
  lineage: z.object({
    /** Base chain upwards: parent first, then its base, and so on. External ids end the chain. */
    ancestors: z.array(
      z.object({
        ref: z.string(),
        relation: z.string().nullable(),
        slug: z.string().nullable(),
        name: z.string().nullable(),
        ownerTeam: z.string().nullable(),
        lifecycle: z.enum(LIFECYCLES).nullable(),
      }),
    ),
    /** Every model derived from this one, transitively, in tree order. */
    derived: z.array(LineageNode),
  }),
});

export const Page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ items: z.array(item), nextCursor: Nullable(z.string()), total: z.number() });

export type ModelSummaryT = z.infer<typeof ModelSummary>;
export type ModelDetailT = z.infer<typeof ModelDetail>;
export type VersionViewT = z.infer<typeof VersionView>;
export type BenchmarkViewT = z.infer<typeof BenchmarkView>;
export type HeadViewT = z.infer<typeof HeadView>;
export type LineageNodeT = z.infer<typeof LineageNode>;
