/**
 * Response shapes of the Model Garden API, as the web UI reads them. They mirror the server's zod
 * schemas (src/catalog/views.ts and src/api/routes/search.ts); keep them in step when those change.
 */

export const MATURITIES = ['experimental', 'validated', 'production'] as const;
export const LIFECYCLES = ['draft', 'submitted', 'approved', 'deprecated', 'retired'] as const;
export const COMPLIANCE_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;

export type Maturity = (typeof MATURITIES)[number];
export type Lifecycle = (typeof LIFECYCLES)[number];
export type ComplianceStatus = (typeof COMPLIANCE_STATUSES)[number];
export type BaseRelation = 'finetune' | 'quantized' | 'adapter' | 'merge' | 'distilled';

export interface Deprecation {
  /** A catalog `slug[@version]`. */
  replacement: string | null;
  /** ISO date (YYYY-MM-DD). */
  deadline: string | null;
  reason: string | null;
}

export interface BaseModel {
  ref: string;
  relation: BaseRelation;
  /** Set when the ref names a model in this catalog. */
  model: { slug: string; name: string; version: string | null } | null;
}

export interface Head {
  version: string;
  license: string | null;
  languages: string[];
  parameters: number | null;
  architecture: string | null;
  contextLength: number | null;
  maturity: Maturity;
  lifecycle: Lifecycle;
  complianceStatus: ComplianceStatus;
  minGpuMemoryGb: number | null;
  recommendedGpu: string | null;
  cpuInference: boolean;
  frameworks: string[];
  quantizations: string[];
  deprecation: Deprecation | null;
}

export interface ModelSummary {
  slug: string;
  name: string;
  ownerTeam: string;
  description: string;
  tasks: string[];
  domains: string[];
  tags: string[];
  baseModel: BaseModel | null;
  head: Head | null;
  versionCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Benchmark {
  id: number;
  suite: string;
  suiteVersion: string | null;
  dataset: string | null;
  metric: string;
  value: number;
  higherIsBetter: boolean;
  date: string | null;
  hardware: string | null;
  /** measured: Garden ran the suite; reported: typed (or imported) by the team. */
  source: 'measured' | 'reported';
  runId: string | null;
  /** A platform reviewer's acceptance of a reported result. */
  accepted: { by: string | null; at: string } | null;
}

export interface VersionView {
  version: string;
  languages: string[];
  license: string | null;
  parameters: number | null;
  architecture: string | null;
  contextLength: number | null;
  hardware: {
    /** Quantization → minimum GPU memory in GB; null means "not available in this quantization". */
    minGpuMemoryGb: Record<string, number | null>;
    smallestGpuMemoryGb: number | null;
    recommendedGpu: string | null;
    cpuInference: boolean;
    ramGb: number | null;
  };
  compatibility: {
    formats: string[];
    frameworks: string[];
    quantizations: string[];
    maxContextTested: number | null;
  };
  benchmarks: Benchmark[];
  card: { intendedUse: string; limitations: string; trainingData: string; markdown: string };
  compliance: { status: ComplianceStatus; reviewedAt: string | null };
  approvedUseCases: string[];
  restrictions: string[];
  maturity: Maturity;
  lifecycle: Lifecycle;
  deprecation: Deprecation | null;
  artifactUri: string;
  createdAt: string;
  updatedAt: string;
}

export interface LineageAncestor {
  ref: string;
  relation: string | null;
  /** Set when the ref names a catalog model; external ids end the chain with slug null. */
  slug: string | null;
  name: string | null;
  ownerTeam: string | null;
  lifecycle: Lifecycle | null;
}

export interface LineageNode {
  slug: string;
  name: string;
  ownerTeam: string;
  relation: string | null;
  /** The model this one derives from (its parent in the tree). */
  via: string | null;
  depth: number;
  lifecycle: Lifecycle | null;
}

export interface ModelDetail extends ModelSummary {
  versions: VersionView[];
  lineage: { ancestors: LineageAncestor[]; derived: LineageNode[] };
}

export interface QueryConstraint {
  id: string;
  kind: string;
  value: number | boolean | string | string[];
  label: string;
  source: string;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResponse {
  query: {
    text: string;
    residual: string;
    terms: string[];
    tasks: string[];
    constraints: QueryConstraint[];
    /** Constraints read from the text that the user chose to ignore. */
    ignored: QueryConstraint[];
    /** Words that matched nothing, and the catalog words searched for instead. */
    corrections: { from: string; to: string[] }[];
  } | null;
  items: (ModelSummary & { score: number | null })[];
  total: number;
  nextCursor: string | null;
  facets: Record<string, FacetCount[]> | null;
  message: string | null;
  relaxed: boolean;
}

/** The body of every API error. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  requestId: string;
}

/** One committed file of a version (GET …/files). */
export interface VersionFile {
  path: string;
  digest: string;
  size: number;
  format: string;
  /** Where the blob lives in the artifact store: sent to admins only. */
  location?: string;
  /** Another version the reader can see holds the same bytes: they are stored once. */
  shared: boolean;
}

/** Where a resumable upload stands (POST …/uploads, GET and PATCH /uploads/:id). */
export interface UploadState {
  id: string;
  path: string;
  digest: string;
  size: number;
  /** Bytes received: where the next chunk must start. */
  offset: number;
  complete: boolean;
  /** The server already held these bytes; nothing needs to be sent. */
  deduplicated: boolean;
}

/** GET /registry/stats: bytes referenced by versions, bytes stored, and the difference. */
export interface RegistryStats {
  referencedBytes: number;
  storedBytes: number;
  savedBytes: number;
}

/**
 * GET …/extraction: what the committed files say. Mirrors src/registry/extract/types.ts and the
 * `Extraction` of src/registry/extract/extract.ts (only the parts the UI shows).
 */
export interface ExtractedFields {
  architecture?: string | null;
  parameters?: number | null;
  contextLength?: number | null;
  languages?: string[];
  license?: string | null;
  tasks?: string[];
  card?: { markdown: string; intendedUse: string; limitations: string; trainingData: string };
  hardware?: { minGpuMemoryGb: Record<string, number | null>; cpuInference: boolean; ramGb?: number | null };
  compatibility?: { formats: string[]; frameworks: string[]; quantizations: string[] };
}

export interface Extraction {
  fields: ExtractedFields;
  details: {
    layout?: 'huggingface' | 'gguf' | 'onnx' | 'unknown';
    files?: string[];
    hardware?: { minGpuMemoryGb: Record<string, number>; ramGb: number; kvCacheBytes: number; notes: string[] };
  };
  notes: string[];
}

/** POST …/prefill: the fields written into the draft (only the empty ones). */
export interface PrefillResult {
  filled: string[];
  notes: string[];
  version: VersionView;
}

export type PlatformRole = 'none' | 'reviewer' | 'admin';
export type TeamRole = 'viewer' | 'contributor' | 'team_lead';

/** Who is signed in (GET /me, and the answer of a successful login). */
export interface Me {
  user: { id: string; username: string; name: string; email: string | null; platformRole: PlatformRole };
  teams: { slug: string; name: string; role: TeamRole }[];
  /** Sent back as `x-csrf-token` on every changing request; null when signed in with an API token. */
  csrfToken: string | null;
  via: 'session' | 'token';
}

/** How users may sign in (GET /auth/config; a server without it offers the local form only). */
export interface AuthConfig {
  oidc: { enabled: boolean; label: string };
  local: boolean;
}
