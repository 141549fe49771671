/**
 * The catalog's vocabulary as zod schemas: one schema gives validation, TypeScript types and the
 * OpenAPI document. Objects are strict (unknown fields are an error) and every string and list has
 * a size limit, so no request can smuggle in unbounded data.
 */
import { z } from 'zod';

export const MATURITIES = ['experimental', 'validated', 'production'] as const;
export const LIFECYCLES = ['draft', 'submitted', 'approved', 'rejected', 'deprecated', 'retired'] as const;
export const COMPLIANCE_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export const BASE_RELATIONS = ['finetune', 'quantized', 'adapter', 'merge', 'distilled'] as const;
export const QUANTIZATIONS = ['fp32', 'fp16', 'bf16', 'fp8', 'int8', 'int4'] as const;
/** Thresholds offered as facet buckets: "fits in N GB of GPU memory", "context at least N tokens". */
export const GPU_BUCKETS_GB = [8, 16, 24, 48, 80] as const;
export const CONTEXT_BUCKETS = [4096, 8192, 32768, 131072] as const;
/** Published lifecycle states: visible to every reader, content frozen. */
export const PUBLISHED_LIFECYCLES: readonly Lifecycle[] = ['approved', 'deprecated', 'retired'];
/** States in which a version's content can no longer change (submitted for review, decided, published). */
export const IMMUTABLE_LIFECYCLES: readonly Lifecycle[] = ['submitted', 'approved', 'rejected', 'deprecated', 'retired'];
/** Lifecycle changes made by editing a version (the rest go through the submission workflow). */
export const EDITABLE_TRANSITIONS: readonly (readonly [Lifecycle, Lifecycle])[] = [
  ['approved', 'deprecated'],
  ['deprecated', 'approved'],
  ['approved', 'retired'],
  ['deprecated', 'retired'],
];

export type Maturity = (typeof MATURITIES)[number];
export type Lifecycle = (typeof LIFECYCLES)[number];
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];

const SLUG_RE = /^[a-z0-9](?:[a-z0-9._-]{0,94}[a-z0-9])?$/;
const TEAM_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
// semver.org's official pattern
const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const Slug = z
  .string()
  .max(96)
  .regex(SLUG_RE, 'lowercase letters, digits, ".", "_" and "-", starting and ending with a letter or digit')
  .refine((s) => !s.includes('..') && !s.includes('--'), 'must not contain ".." or "--"')
  .describe('Model id as in Hugging Face repo names, e.g. legal-contract-summarizer');
export const TeamSlug = z.string().max(64).regex(TEAM_RE, 'lowercase letters, digits and "-"');
export const SemVer = z.string().max(64).regex(SEMVER_RE, 'a semantic version such as 2.0.0 or 1.1.0-rc.1');

const Short = z.string().trim().min(1).max(200);
const Label = z.string().trim().min(1).max(64);
const Sentence = z.string().trim().max(500);
const Text = z.string().max(20_000);
const list = <T extends z.ZodTypeAny>(item: T, max = 50) => z.array(item).max(max);
/** ISO 8601 date (YYYY-MM-DD); YAML dates arrive as Date objects and are normalised. */
export const IsoDate = z.preprocess(
  (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v),
  z.iso.date(),
);
const GpuGb = z.number().positive().max(10_000).nullable();

export const BaseModel = z
  .object({
    ref: z.string().trim().min(1).max(200).describe('catalog slug[@version] or an external id such as org/name'),
    relation: z.enum(BASE_RELATIONS),
  })
  .strict();

export const Hardware = z
  .object({
    minGpuMemoryGb: z.partialRecord(z.enum(QUANTIZATIONS), GpuGb).default({}),
    recommendedGpu: Short.nullable().optional(),
    cpuInference: z.boolean().default(false),
    ramGb: z.number().positive().max(100_000).nullable().optional(),
  })
  .strict();

export const Compatibility = z
  .object({
    formats: list(Label).default([]),
    frameworks: list(Label).default([]),
    quantizations: list(Label).default([]),
    maxContextTested: z.number().int().positive().max(100_000_000).nullable().optional(),
  })
  .strict();

export const Benchmark = z
  .object({
    suite: Label,
    suiteVersion: z.coerce.string().max(32).nullable().optional(),
    dataset: Label.nullable().optional(),
    metric: Label,
    value: z.number().finite(),
    higherIsBetter: z.boolean().default(true),
    date: IsoDate.nullable().optional(),
    hardware: Short.nullable().optional(),
  })
  .strict();

export const Card = z
  .object({
    intendedUse: Text.default(''),
    limitations: Text.default(''),
    trainingData: Text.default(''),
    markdown: z.string().max(100_000).default(''),
  })
  .strict();

export const Compliance = z
  .object({ status: z.enum(COMPLIANCE_STATUSES), reviewedAt: IsoDate.nullable().optional() })
  .strict();

export const Deprecation = z
  .object({
    replacement: z.string().trim().min(1).max(200).nullable().optional(),
    deadline: IsoDate.nullable().optional(),
    reason: Sentence.nullable().optional(),
  })
  .strict();

/** Fields that belong to the model (the line of work), shared by all its versions. */
export const ModelFields = z
  .object({
    slug: Slug,
    name: Short,
    ownerTeam: TeamSlug,
    description: z.string().max(5_000).default(''),
    tasks: list(Label, 20).default([]),
    domains: list(Label, 20).default([]),
    tags: list(Label).default([]),
    baseModel: BaseModel.nullable().optional(),
  })
  .strict();

/** Fields that belong to one immutable version. */
export const VersionFields = z
  .object({
    version: SemVer,
    languages: list(z.string().trim().min(2).max(16), 200).default([]),
    license: Label.nullable().optional(),
    parameters: z.number().int().nonnegative().max(1e15).nullable().optional(),
    architecture: Short.nullable().optional(),
    contextLength: z.number().int().positive().max(100_000_000).nullable().optional(),
    hardware: Hardware.default({ minGpuMemoryGb: {}, cpuInference: false }),
    compatibility: Compatibility.default({ formats: [], frameworks: [], quantizations: [] }),
    benchmarks: list(Benchmark, 200).default([]),
    card: Card.default({ intendedUse: '', limitations: '', trainingData: '', markdown: '' }),
    compliance: Compliance.default({ status: 'pending' }),
    approvedUseCases: list(Sentence).default([]),
    restrictions: list(Sentence).default([]),
    maturity: z.enum(MATURITIES).default('experimental'),
    lifecycle: z.enum(LIFECYCLES).default('draft'),
    deprecation: Deprecation.nullable().optional(),
    updatedAt: IsoDate.optional().describe('when this version was last updated or re-reviewed; defaults to now'),
  })
  .strict();

/** One import entry: a model version together with its model's fields. */
export const CatalogEntry = ModelFields.extend(VersionFields.shape).strict();

export const ModelCreate = ModelFields;
/** A patch names only what changes: defaults are stripped so an absent field stays as it is. */
function patchOf<S extends z.ZodRawShape>(shape: S) {
  const out: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    out[key] = inner.optional();
  }
  return z.object(out as { [K in keyof S]: z.ZodOptional<S[K]> }).strict();
}
export const ModelPatch = patchOf(ModelFields.omit({ slug: true }).shape);
export const VersionCreate = VersionFields;
export const VersionPatch = patchOf(VersionFields.omit({ version: true }).shape);

export type ModelFieldsInput = z.input<typeof ModelFields>;
export type ModelFieldsT = z.output<typeof ModelFields>;
export type VersionFieldsT = z.output<typeof VersionFields>;
export type VersionPatchT = z.output<typeof VersionPatch>;
export type ModelPatchT = z.output<typeof ModelPatch>;
export type CatalogEntryT = z.output<typeof CatalogEntry>;
export type BenchmarkT = z.output<typeof Benchmark>;
