/**
 * Catalog persistence. Functions take a query handle (the database or a transaction), so the
 * service decides the transaction boundaries.
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, schema, type Db, type Tx } from '../core/db/index.js';
import { CONTEXT_BUCKETS, GPU_BUCKETS_GB, type ModelFieldsT, type VersionFieldsT } from './model.js';
import { versionSortKey } from './semver.js';
import type { Actor } from '../identity/index.js';
import { visibleSql } from './visibility.js';

const { teams, models, modelVersions, gpuRequirements, benchmarkResults, users } = schema;

export type Q = Db | Tx;
export type ModelRow = typeof models.$inferSelect & { ownerTeam: string };
export type VersionRow = typeof modelVersions.$inferSelect;
export type GpuRow = typeof gpuRequirements.$inferSelect;
export type BenchmarkRow = typeof benchmarkResults.$inferSelect & { acceptedByName: string | null };

export async function ensureTeam(q: Q, slug: string): Promise<number> {
  await q.insert(teams).values({ slug, name: slug }).onConflictDoNothing();
  const [row] = await q.select({ id: teams.id }).from(teams).where(eq(teams.slug, slug));
  if (!row) throw new Error(`team ${slug} vanished`);
  return row.id;
}

/** Every team, with the number of its models `a` may see. */
export async function listTeams(q: Q, a: Actor): Promise<{ slug: string; name: string; models: number }[]> {
  return queryRows(
    q,
    sql`SELECT t.slug, t.name,
               (SELECT count(*) FROM models m LEFT JOIN model_versions v ON v.id = m.head_version_id
                 WHERE m.owner_team_id = t.id AND ${visibleSql(a)})::int AS models
          FROM teams t ORDER BY t.slug`,
  );
}

export async function findModel(q: Q, slug: string): Promise<ModelRow | undefined> {
  const [row] = await q
    .select({ model: models, ownerTeam: teams.slug })
    .from(models)
    .innerJoin(teams, eq(teams.id, models.ownerTeamId))
    .where(eq(models.slug, slug));
  return row ? { ...row.model, ownerTeam: row.ownerTeam } : undefined;
}

/** Splits a base-model ref into the catalog slug/version it may name (refs with "/" are external). */
export function parseBaseRef(ref: string): { slug: string | null; version: string | null } {
  if (ref.includes('/')) return { slug: null, version: null };
  const at = ref.lastIndexOf('@');
  return at > 0 ? { slug: ref.slice(0, at), version: ref.slice(at + 1) } : { slug: ref, version: null };
}

function modelColumns(f: Omit<ModelFieldsT, 'slug' | 'ownerTeam'>, ownerTeamId: number) {
  const base = f.baseModel ?? null;
  const parsed = base ? parseBaseRef(base.ref) : { slug: null, version: null };
  return {
    name: f.name,
    ownerTeamId,
    description: f.description,
    tasks: f.tasks,
    domains: f.domains,
    tags: f.tags,
    baseRef: base?.ref ?? null,
    baseRelation: base?.relation ?? null,
    baseSlug: parsed.slug,
    baseVersion: parsed.version,
  };
}

export async function insertModel(q: Q, f: ModelFieldsT, ownerTeamId: number): Promise<number> {
  const [row] = await q
    .insert(models)
    .values({ slug: f.slug, ...modelColumns(f, ownerTeamId) })
    .returning({ id: models.id });
  if (!row) throw new Error('insert returned nothing');
  return row.id;
}

export async function updateModel(q: Q, id: number, f: ModelFieldsT, ownerTeamId: number): Promise<void> {
  await q.update(models).set(modelColumns(f, ownerTeamId)).where(eq(models.id, id));
}

function smallestGpu(map: VersionFieldsT['hardware']['minGpuMemoryGb']): number | null {
  const values = Object.values(map).filter((v): v is number => typeof v === 'number');
  return values.length ? Math.min(...values) : null;
}

function versionColumns(f: VersionFieldsT) {
  return {
    version: f.version,
    versionSort: versionSortKey(f.version),
    languages: f.languages,
    license: f.license ?? null,
    parameters: f.parameters ?? null,
    architecture: f.architecture ?? null,
    contextLength: f.contextLength ?? null,
    recommendedGpu: f.hardware.recommendedGpu ?? null,
    cpuInference: f.hardware.cpuInference,
    ramGb: f.hardware.ramGb ?? null,
    minGpuMemoryGb: smallestGpu(f.hardware.minGpuMemoryGb),
    formats: f.compatibility.formats,
    frameworks: f.compatibility.frameworks,
    quantizations: f.compatibility.quantizations,
    maxContextTested: f.compatibility.maxContextTested ?? null,
    intendedUse: f.card.intendedUse,
    limitations: f.card.limitations,
    trainingData: f.card.trainingData,
    cardMarkdown: f.card.markdown,
    complianceStatus: f.compliance.status,
    complianceReviewedAt: f.compliance.reviewedAt ?? null,
    approvedUseCases: f.approvedUseCases,
    restrictions: f.restrictions,
    maturity: f.maturity,
    lifecycle: f.lifecycle,
    deprecationReplacement: f.deprecation?.replacement ?? null,
    deprecationDeadline: f.deprecation?.deadline ?? null,
    deprecationReason: f.deprecation?.reason ?? null,
    updatedAt: f.updatedAt ? new Date(`${f.updatedAt}T00:00:00Z`) : new Date(),
  };
}

/** The content of a typed result, so an unchanged one keeps who reported and who accepted it. */
const benchmarkKey = (b: Pick<BenchmarkRow, 'suite' | 'suiteVersion' | 'dataset' | 'metric' | 'value' | 'higherIsBetter' | 'date' | 'hardware'>) =>
  JSON.stringify([b.suite, b.suiteVersion ?? null, b.dataset ?? null, b.metric, b.value, b.higherIsBetter, b.date ?? null, b.hardware ?? null]);

/**
 * Writes the version's hardware rows and its typed benchmark results (source 'reported'). A
 * result identical to one it replaces keeps that row (its id, reporter and acceptance: a
 * reviewer's accept by id still finds it); a new or changed one is reported by `by` and not
 * accepted, and rows no longer typed are removed. Measured results are never written from here.
 */
async function writeChildren(q: Q, versionId: number, f: VersionFieldsT, by: string | null, before: Map<string, number[]> = new Map()): Promise<void> {
  const gpu = Object.entries(f.hardware.minGpuMemoryGb).map(([quantization, gb]) => ({
    versionId,
    quantization,
    minGpuMemoryGb: gb ?? null,
  }));
  if (gpu.length) await q.insert(gpuRequirements).values(gpu);
  const rows = f.benchmarks.map((b, position) => {
    const content = {
      suite: b.suite,
      suiteVersion: b.suiteVersion ?? null,
      dataset: b.dataset ?? null,
      metric: b.metric,
      value: b.value,
      higherIsBetter: b.higherIsBetter,
      date: b.date ?? null,
      hardware: b.hardware ?? null,
    };
    return { versionId, position, ...content, source: 'reported', kept: before.get(benchmarkKey(content))?.shift() };
  });
  for (const r of rows) if (r.kept !== undefined) await q.update(benchmarkResults).set({ position: r.position }).where(eq(benchmarkResults.id, r.kept));
  const gone = [...before.values()].flat();
  if (gone.length) await q.delete(benchmarkResults).where(inArray(benchmarkResults.id, gone));
  const fresh = rows.filter((r) => r.kept === undefined).map(({ kept: _kept, ...r }) => ({ ...r, reportedBy: by, acceptedBy: null, acceptedAt: null }));
  if (fresh.length) await q.insert(benchmarkResults).values(fresh);
}

/** `by`: the user whose typed benchmark results these are (null for imports and the system). */
export async function insertVersion(q: Q, modelId: number, f: VersionFieldsT, by: string | null = null): Promise<number> {
  const [row] = await q
    .insert(modelVersions)
    .values({ modelId, ...versionColumns(f) })
    .returning({ id: modelVersions.id });
  if (!row) throw new Error('insert returned nothing');
  await writeChildren(q, row.id, f, by);
  return row.id;
}

/** Rewrites a version from its fields. Results Garden measured stay as they are: they are not the team's to edit. */
export async function replaceVersion(q: Q, versionId: number, f: VersionFieldsT, by: string | null = null): Promise<void> {
  await q.update(modelVersions).set(versionColumns(f)).where(eq(modelVersions.id, versionId));
  await q.delete(gpuRequirements).where(eq(gpuRequirements.versionId, versionId));
  const reported = and(eq(benchmarkResults.versionId, versionId), eq(benchmarkResults.source, 'reported'));
  const before = new Map<string, number[]>();
  for (const r of await q.select().from(benchmarkResults).where(reported).orderBy(asc(benchmarkResults.position), asc(benchmarkResults.id))) {
    const list = before.get(benchmarkKey(r)) ?? [];
    list.push(r.id);
    before.set(benchmarkKey(r), list);
  }
  await writeChildren(q, versionId, f, by, before);
}

export async function findVersion(q: Q, modelId: number, version: string): Promise<VersionRow | undefined> {
  const [row] = await q
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.modelId, modelId), eq(modelVersions.version, version)));
  return row;
}

/** Whether a model has a version in one of `lifecycles` (one indexed lookup, no version loading). */
export async function hasVersionIn(q: Q, modelId: number, lifecycles: readonly string[]): Promise<boolean> {
  const [row] = await q
    .select({ id: modelVersions.id })
    .from(modelVersions)
    .where(and(eq(modelVersions.modelId, modelId), inArray(modelVersions.lifecycle, [...lifecycles])))
    .limit(1);
  return row !== undefined;
}

/** The highest version of a model by semver precedence, if it has any. */
export async function newestVersion(q: Q, modelId: number): Promise<string | undefined> {
  const [row] = await q
    .select({ version: modelVersions.version })
    .from(modelVersions)
    .where(eq(modelVersions.modelId, modelId))
    .orderBy(desc(modelVersions.versionSort))
    .limit(1);
  return row?.version;
}

export interface VersionBundle {
  row: VersionRow;
  gpu: GpuRow[];
  benchmarks: BenchmarkRow[];
}

/** Every version of a model, newest first, with hardware rows and benchmarks. */
export async function loadVersions(q: Q, modelId: number, only?: string): Promise<VersionBundle[]> {
  const where = only
    ? and(eq(modelVersions.modelId, modelId), eq(modelVersions.version, only))
    : eq(modelVersions.modelId, modelId);
  const rows = await q.select().from(modelVersions).where(where).orderBy(desc(modelVersions.versionSort));
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [gpu, bench] = await Promise.all([
    q.select().from(gpuRequirements).where(inArray(gpuRequirements.versionId, ids)),
    q
      .select({ b: benchmarkResults, acceptedByName: users.username })
      .from(benchmarkResults)
      .leftJoin(users, eq(users.id, benchmarkResults.acceptedBy))
      .where(inArray(benchmarkResults.versionId, ids))
      .orderBy(asc(benchmarkResults.position), asc(benchmarkResults.id)),
  ]);
  return rows.map((row) => ({
    row,
    gpu: gpu.filter((g) => g.versionId === row.id),
    benchmarks: bench.filter((x) => x.b.versionId === row.id).map((x) => ({ ...x.b, acceptedByName: x.acceptedByName })),
  }));
}

/**
 * Recomputes what the catalog derives from a model's versions: the head version (newest approved,
 * else newest deprecated, submitted, retired, draft), the last update time, and the search document
 * (weights: A name and slug; B tasks, tags, domains; C description; D card and use cases).
 * Set-based, so a bulk load can refresh every model in one statement.
 */
export async function refreshModels(q: Q, which: number[] | 'all'): Promise<void> {
  const onModels = which === 'all' ? sql`TRUE` : sql`mm.id = ANY(ARRAY[${sql.join(which.map((i) => sql`${i}`), sql`, `)}]::int[])`;
  const onVersions = which === 'all' ? sql`TRUE` : sql`v.model_id = ANY(ARRAY[${sql.join(which.map((i) => sql`${i}`), sql`, `)}]::int[])`;
  await q.execute(sql`
    WITH h AS (
      SELECT DISTINCT ON (v.model_id) v.model_id, v.id,
             concat_ws(' ', v.architecture, v.intended_use, v.limitations, v.training_data,
                       array_to_string(v.approved_use_cases, ' '), array_to_string(v.frameworks, ' '),
                       v.license, v.card_markdown) AS doc
        FROM model_versions v
       WHERE ${onVersions}
       ORDER BY v.model_id,
                CASE v.lifecycle WHEN 'approved' THEN 4 WHEN 'deprecated' THEN 3 WHEN 'submitted' THEN 2
                                 WHEN 'retired' THEN 1 ELSE 0 END DESC,
                v.version_sort DESC),
    u AS (SELECT v.model_id, max(v.updated_at) AS updated_at FROM model_versions v WHERE ${onVersions} GROUP BY v.model_id),
    x AS (SELECT mm.id, h.id AS head_id, coalesce(h.doc, '') AS doc, u.updated_at,
                 array(SELECT 'task:' || e FROM unnest(mm.tasks) e)
                 || array(SELECT 'domain:' || e FROM unnest(mm.domains) e)
                 || ('team:' || t.slug)
                 || CASE WHEN hv.id IS NULL THEN '{}'::text[] ELSE
                      ARRAY['maturity:' || hv.maturity, 'lifecycle:' || hv.lifecycle,
                            'compliance:' || hv.compliance_status, 'cpu:' || hv.cpu_inference::text]
                      || array(SELECT 'license:' || hv.license WHERE hv.license IS NOT NULL)
                      || array(SELECT 'language:' || e FROM unnest(hv.languages) e)
                      || array(SELECT 'framework:' || e FROM unnest(hv.frameworks) e)
                      || array(SELECT 'quantization:' || e FROM unnest(hv.quantizations) e)
                      -- one token per numeric facet: the tightest bucket; search sums them up
                      || array(SELECT 'fitsInGb:' || min(g) FROM unnest(${intArray(GPU_BUCKETS_GB)}) g
                                WHERE hv.min_gpu_memory_gb <= g HAVING count(*) > 0)
                      || array(SELECT 'minContext:' || max(c) FROM unnest(${intArray(CONTEXT_BUCKETS)}) c
                                WHERE hv.context_length >= c HAVING count(*) > 0)
                    END AS facet_tokens
            FROM models mm JOIN teams t ON t.id = mm.owner_team_id
            LEFT JOIN h ON h.model_id = mm.id LEFT JOIN u ON u.model_id = mm.id
            LEFT JOIN model_versions hv ON hv.id = h.id
           WHERE ${onModels})
    , updated AS (
      UPDATE models m SET head_version_id = x.head_id, updated_at = coalesce(x.updated_at, m.updated_at)
        FROM x WHERE x.id = m.id
      RETURNING m.id, m.name, m.slug, m.tasks, m.tags, m.domains, m.description)
    INSERT INTO model_search (model_id, search_doc, facet_tokens)
    SELECT up.id,
           setweight(to_tsvector('english', up.name || ' ' || translate(up.slug, '-_.', '   ') || ' ' || up.slug), 'A')
           || setweight(to_tsvector('english', array_to_string(up.tasks || up.tags || up.domains, ' ')), 'B')
           || setweight(to_tsvector('english', up.description), 'C')
           || setweight(to_tsvector('english', x.doc), 'D'),
           x.facet_tokens
      FROM updated up JOIN x ON x.id = up.id
    ON CONFLICT (model_id) DO UPDATE SET search_doc = excluded.search_doc, facet_tokens = excluded.facet_tokens`);
  // Words for spelling correction in search.
  await q.execute(sql`
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM models mm, regexp_split_to_table(${modelWordsText('mm')}, '[^a-z0-9]+') w
    WHERE length(w) >= 4 AND ${onModels}
    ON CONFLICT DO NOTHING`);
  // Facet values known to the catalog, so filters can reject values it has never had.
  await q.execute(sql`
    INSERT INTO facet_values (token)
    SELECT DISTINCT unnest(ms.facet_tokens) FROM model_search ms JOIN models mm ON mm.id = ms.model_id WHERE ${onModels}
    ON CONFLICT DO NOTHING`);
  // Read caches in every replica drop what they hold when this transaction commits.
  await q.execute(sql`SELECT pg_notify(${CATALOG_CHANNEL}, '')`);
}

export const refreshModel = (q: Q, modelId: number) => refreshModels(q, [modelId]);

/**
 * The lower-cased text of a model (alias `m`) whose words feed spelling correction: name, slug,
 * tasks, tags, domains, description. search_words holds every word this text ever had; search
 * offers a word only while a model the caller may see still has it (see wordInModelSql).
 */
export const modelWordsText = (m: string): SQL => {
  const a = sql.raw(m);
  return sql`lower(${a}.name || ' ' || ${a}.slug || ' ' || array_to_string(${a}.tasks || ${a}.tags || ${a}.domains, ' ') || ' ' || ${a}.description)`;
};

/** Whether the text of model `m` contains `word` (an SQL expression of [a-z0-9] characters) as a whole word. */
export const wordInModelSql = (m: string, word: SQL): SQL =>
  sql`${modelWordsText(m)} ~ ('(^|[^a-z0-9])' || ${word} || '([^a-z0-9]|$)')`;

const intArray = (xs: readonly number[]) => sql.raw(`ARRAY[${xs.map((x) => Math.trunc(x)).join(',')}]::int[]`);

/** Channel on which every committed catalog change is announced (NOTIFY is sent on commit). */
export const CATALOG_CHANNEL = 'garden_catalog_changed';

export interface LineageRow {
  slug: string;
  name: string;
  owner_team: string;
  relation: string | null;
  via: string | null;
  depth: number;
  lifecycle: string | null;
}

/**
 * Every model derived from `slug` that `a` may see, transitively (cycles are cut). The walk stops
 * at a model `a` may not see: what derives from a hidden model is reached only through it, and
 * listing it would name the hidden link.
 */
export async function derivedModels(q: Q, slug: string, a: Actor): Promise<LineageRow[]> {
  const visible = visibleSql(a);
  return queryRows<LineageRow>(
    q,
    sql`WITH RECURSIVE tree(id, slug, via, relation, depth, path) AS (
          SELECT m.id, m.slug, m.base_slug, m.base_relation, 1, ARRAY[${slug}::text, m.slug]
            FROM models m JOIN teams t ON t.id = m.owner_team_id LEFT JOIN model_versions v ON v.id = m.head_version_id
           WHERE m.base_slug = ${slug} AND ${visible}
          UNION ALL
          SELECT m.id, m.slug, m.base_slug, m.base_relation, tree.depth + 1, tree.path || m.slug
            FROM models m JOIN tree ON m.base_slug = tree.slug
            JOIN teams t ON t.id = m.owner_team_id LEFT JOIN model_versions v ON v.id = m.head_version_id
           WHERE NOT m.slug = ANY(tree.path) AND tree.depth < 20 AND ${visible})
        SELECT tree.slug, m.name, t.slug AS owner_team, tree.relation, tree.via, tree.depth, v.lifecycle
          FROM tree JOIN models m ON m.id = tree.id JOIN teams t ON t.id = m.owner_team_id
          LEFT JOIN model_versions v ON v.id = m.head_version_id
         ORDER BY tree.path`,
  );
}

/** Advisory lock key serialising base-model changes, so two concurrent edits cannot close a cycle between them. */
const LINEAGE_LOCK = 0x6761_6c6e; // "galn"

/**
 * The lineage cycle that making `baseSlug` the base of `slug` would close, as a path
 * (`[slug, baseSlug, …, slug]`), or null. Takes a transaction-scoped lock first: every change of
 * a base runs this, so concurrent changes are checked one after the other against committed data.
 */
export async function lineageCycle(q: Q, slug: string, baseSlug: string): Promise<string[] | null> {
  await q.execute(sql`SELECT pg_advisory_xact_lock(${LINEAGE_LOCK})`);
  const [row] = await queryRows<{ path: string[] }>(
    q,
    sql`WITH RECURSIVE up(slug, path) AS (
          SELECT ${baseSlug}::text, ARRAY[${slug}::text, ${baseSlug}::text]
          UNION ALL
          SELECT m.base_slug, up.path || m.base_slug
            FROM models m JOIN up ON m.slug = up.slug
           WHERE m.base_slug IS NOT NULL AND up.slug <> ${slug}
             AND NOT (m.base_slug = ANY(up.path[2:])) AND cardinality(up.path) < 10000)
        SELECT path FROM up WHERE slug = ${slug} LIMIT 1`,
  );
  return row ? row.path : null;
}

/** The models named by `slugs` that `a` may see. */
export async function modelBySlugs(q: Q, slugs: string[], a: Actor) {
  if (slugs.length === 0) return [];
  return q
    .select({
      slug: models.slug,
      name: models.name,
      baseRef: models.baseRef,
      baseRelation: models.baseRelation,
      baseSlug: models.baseSlug,
      ownerTeam: teams.slug,
      lifecycle: modelVersions.lifecycle,
    })
    .from(models)
    .innerJoin(teams, eq(teams.id, models.ownerTeamId))
    .leftJoin(modelVersions, eq(modelVersions.id, models.headVersionId))
    .where(and(inArray(models.slug, slugs), sql`${visibleSql(a, { team: 'teams', version: 'model_versions' })}`));
}

/** The id and lifecycle of `slug@version`, for other domains that attach data to a version. */
export async function resolveVersion(q: Q, slug: string, version: string): Promise<{ id: number; lifecycle: string; ownerTeam: string } | undefined> {
  const [row] = await q
    .select({ id: modelVersions.id, lifecycle: modelVersions.lifecycle, ownerTeam: teams.slug })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .innerJoin(teams, eq(teams.id, models.ownerTeamId))
    .where(and(eq(models.slug, slug), eq(modelVersions.version, version)));
  return row;
}
