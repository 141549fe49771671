/** Converts stored version rows back into the catalog's input and output shapes. */
import { QUANTIZATIONS, type ModelFieldsT, type VersionFieldsT } from './model.js';
import type { BenchmarkRow, ModelRow, VersionBundle } from './repo.js';
import type { VersionViewT } from './views.js';

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/** What a benchmark result says (suite, metric, value…), without where it came from. */
const benchmarkContent = (x: BenchmarkRow) => ({
  suite: x.suite,
  suiteVersion: x.suiteVersion,
  dataset: x.dataset,
  metric: x.metric,
  value: x.value,
  higherIsBetter: x.higherIsBetter,
  date: x.date,
  hardware: x.hardware,
});

export function bundleToFields(b: VersionBundle): VersionFieldsT {
  const r = b.row;
  const minGpuMemoryGb: VersionFieldsT['hardware']['minGpuMemoryGb'] = {};
  for (const g of b.gpu) {
    if ((QUANTIZATIONS as readonly string[]).includes(g.quantization)) {
      minGpuMemoryGb[g.quantization as (typeof QUANTIZATIONS)[number]] = g.minGpuMemoryGb;
    }
  }
  const dep = r.deprecationReplacement || r.deprecationDeadline || r.deprecationReason;
  return {
    version: r.version,
    languages: r.languages,
    license: r.license,
    parameters: r.parameters,
    architecture: r.architecture,
    contextLength: r.contextLength,
    hardware: { minGpuMemoryGb, recommendedGpu: r.recommendedGpu, cpuInference: r.cpuInference, ramGb: r.ramGb },
    compatibility: {
      formats: r.formats,
      frameworks: r.frameworks,
      quantizations: r.quantizations,
      maxContextTested: r.maxContextTested,
    },
    // The version's own (typed) results; those Garden measured are not fields a team edits.
    benchmarks: b.benchmarks.filter((x) => x.source !== 'measured').map(benchmarkContent),
    card: { intendedUse: r.intendedUse, limitations: r.limitations, trainingData: r.trainingData, markdown: r.cardMarkdown },
    compliance: { status: r.complianceStatus as never, reviewedAt: r.complianceReviewedAt },
    approvedUseCases: r.approvedUseCases,
    restrictions: r.restrictions,
    maturity: r.maturity as never,
    lifecycle: r.lifecycle as never,
    deprecation: dep
      ? { replacement: r.deprecationReplacement, deadline: r.deprecationDeadline, reason: r.deprecationReason }
      : null,
    updatedAt: isoDate(r.updatedAt),
  };
}

export function modelRowToFields(m: ModelRow): ModelFieldsT {
  return {
    slug: m.slug,
    name: m.name,
    ownerTeam: m.ownerTeam,
    description: m.description,
    tasks: m.tasks,
    domains: m.domains,
    tags: m.tags,
    baseModel: m.baseRef && m.baseRelation ? { ref: m.baseRef, relation: m.baseRelation as never } : null,
  };
}

export function toVersionView(slug: string, b: VersionBundle): VersionViewT {
  const f = bundleToFields(b);
  const n = <T>(v: T | undefined) => (v === undefined ? null : v);
  return {
    version: f.version,
    languages: f.languages,
    license: n(f.license),
    parameters: n(f.parameters),
    architecture: n(f.architecture),
    contextLength: n(f.contextLength),
    hardware: {
      minGpuMemoryGb: f.hardware.minGpuMemoryGb,
      smallestGpuMemoryGb: b.row.minGpuMemoryGb,
      recommendedGpu: n(f.hardware.recommendedGpu),
      cpuInference: f.hardware.cpuInference,
      ramGb: n(f.hardware.ramGb),
    },
    compatibility: {
      formats: f.compatibility.formats,
      frameworks: f.compatibility.frameworks,
      quantizations: f.compatibility.quantizations,
      maxContextTested: n(f.compatibility.maxContextTested),
    },
    benchmarks: b.benchmarks.map((x) => ({
      id: x.id,
      ...benchmarkContent(x),
      source: x.source === 'measured' ? ('measured' as const) : ('reported' as const),
      runId: x.runId,
      accepted: x.acceptedAt ? { by: x.acceptedByName, at: x.acceptedAt.toISOString() } : null,
    })),
    card: f.card,
    compliance: { status: f.compliance.status, reviewedAt: n(f.compliance.reviewedAt) },
    approvedUseCases: f.approvedUseCases,
    restrictions: f.restrictions,
    maturity: f.maturity,
    lifecycle: f.lifecycle,
    deprecation: f.deprecation
      ? { replacement: n(f.deprecation.replacement), deadline: n(f.deprecation.deadline), reason: n(f.deprecation.reason) }
      : null,
    artifactUri: `garden://${slug}@${f.version}`,
    artifactManifest: b.row.artifactManifest ?? null,
    createdAt: b.row.createdAt.toISOString(),
    updatedAt: b.row.updatedAt.toISOString(),
  };
}

/** Canonical JSON: sorted keys, undefined as null, so equal content compares equal. */
export function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v === undefined || v === null) return null;
    if (Array.isArray(v)) return v.map(norm);
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .filter((k) => o[k] !== undefined && o[k] !== null)
          .map((k) => [k, norm(o[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(norm(value));
}
