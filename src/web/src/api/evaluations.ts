/** Evaluation suites and their runs against a version (results become the version's benchmarks). */
import { requestJson } from './client';

export interface Suite {
  name: string;
  description: string;
  task: string;
  metrics: string[];
  automatic: boolean;
  revision: number;
  /** Only suites with a dataset can be run by the platform. */
  dataset: { name: string; items: number; digest: string } | null;
}

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed';
/** States the server moves on from by itself: worth polling. */
export const UNFINISHED_RUN_STATES: readonly RunState[] = ['queued', 'running'];

export interface RunResult {
  metric: string;
  value: number;
  higherIsBetter: boolean;
}

export interface RunSample {
  id?: string;
  input: string;
  expected: string[];
  output: string | null;
  error: string | null;
  latencyMs: number;
}

export interface EvaluationRun {
  id: string;
  suite: string;
  suiteRevision: number;
  model: { slug: string; version: string };
  state: RunState;
  hardware: string | null;
  results: RunResult[] | null;
  /** The first items of the dataset, for a look at what the model answered. */
  samples: RunSample[] | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const versionPath = (slug: string, version: string) => `/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}`;

export async function listSuites(signal?: AbortSignal): Promise<Suite[]> {
  return (await requestJson<{ items: Suite[] }>('/suites', { signal })).items;
}

/** This version's runs, newest first. */
export function listEvaluations(slug: string, version: string, signal?: AbortSignal): Promise<EvaluationRun[]> {
  return requestJson(`${versionPath(slug, version)}/evaluations`, { signal });
}

export function getEvaluation(id: string, signal?: AbortSignal): Promise<EvaluationRun> {
  return requestJson(`/evaluations/${encodeURIComponent(id)}`, { signal });
}

/** Queues a run of `suite` (202); it starts its own temporary endpoint. */
export function requestEvaluation(slug: string, version: string, suite: string): Promise<EvaluationRun> {
  return requestJson(`${versionPath(slug, version)}/evaluations`, { method: 'POST', body: { suite } });
}
