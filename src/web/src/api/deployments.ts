/** Deployments and evaluation endpoints, the playground, side-by-side comparison, templates and limits. */
import { requestEmpty, requestJson } from './client';

export const DEPLOYMENT_STATES = ['running', 'pending', 'starting', 'ready', 'failed', 'stopping', 'stopped', 'expired'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];
/** States in which a deployment holds (or is about to hold) resources. */
export const LIVE_STATES: readonly DeploymentState[] = ['pending', 'starting', 'ready', 'stopping', 'running'];
/** States the server moves on from by itself: worth polling. */
export const MOVING_STATES: readonly DeploymentState[] = ['pending', 'starting', 'stopping'];

export interface TemplateSettings {
  resources: { cpu: string; memory: string; gpus: number };
  health: { initialDelaySeconds: number; periodSeconds: number; timeoutSeconds: number; failureThreshold: number };
  autoscaling: { minReplicas: number; maxReplicas: number; metric: 'cpu' | 'memory' | 'concurrency' | 'rps'; target: number };
  timeoutSeconds: number;
  deploymentMode: 'Standard' | 'Knative';
  labels: Record<string, string>;
  latencyTargetMs: number;
}

export interface Deployment {
  id: string;
  name: string | null;
  model: { slug: string; version: string };
  team: string;
  useCase: string;
  environment: 'evaluation' | 'production';
  template: string;
  engine: 'local' | 'kserve' | 'seldon';
  settings: TemplateSettings | null;
  gpus: number;
  state: DeploymentState;
  endpointUrl: string | null;
  modelName: string;
  /** The endpoint's own key (local runner), shown to those who may use it. */
  endpointKey: string | null;
  lastError: string | null;
  /** Why it failed: out_of_memory, crashed, hung, start_failed, start_timeout, engine_failed… */
  failureReason: string | null;
  logTail: string[];
  expiresAt: string | null;
  createdBy: { id: string; name: string } | null;
  createdAt: string;
  readyAt: string | null;
  stoppedAt: string | null;
  canStop: boolean;
}

export interface DeploymentFilter {
  slug?: string;
  version?: string;
  live?: boolean;
  environment?: 'evaluation' | 'production';
}

export interface TryInput {
  mode: 'text' | 'chat' | 'oip';
  inputs?: string[];
  messages?: { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens?: number;
  temperature?: number;
  oip?: Record<string, unknown>;
}

export interface TryResult {
  latencyMs: number;
  outputs: (string | null)[];
  errors: (string | null)[];
  latencies: number[];
  raw: unknown;
}

export interface CompareColumn {
  deployment: { id: string; name: string | null; model: string };
  outputs: (string | null)[];
  errors: (string | null)[];
  latencies: number[];
  p50: number | null;
  p95: number | null;
  errorCount: number;
}

export interface CompareResult {
  inputs: string[];
  columns: CompareColumn[];
}

export interface DeploymentTemplate {
  name: string;
  description: string;
  settings: TemplateSettings;
  builtIn: boolean;
  updatedAt: string;
}

export interface EvalLimits {
  lifetimeHours: number;
  maxEndpointsPerTeam: number;
  maxGpusPerTeam: number;
}

export const DEPLOYMENTS_KEY = ['deployments'] as const;

/** "router@1.0.0", or the deployment's own name when it has one. */
export const deploymentLabel = (d: Pick<Deployment, 'name' | 'model'>): string => d.name ?? `${d.model.slug}@${d.model.version}`;

export function listDeployments(f: DeploymentFilter, signal?: AbortSignal): Promise<Deployment[]> {
  const qs = new URLSearchParams();
  if (f.slug) qs.set('slug', f.slug);
  if (f.version) qs.set('version', f.version);
  if (f.live !== undefined) qs.set('live', String(f.live));
  if (f.environment) qs.set('environment', f.environment);
  const s = qs.toString();
  return requestJson(`/deployments${s ? `?${s}` : ''}`, { signal });
}

export function getDeployment(id: string, signal?: AbortSignal): Promise<Deployment> {
  return requestJson(`/deployments/${encodeURIComponent(id)}`, { signal });
}

export function startEvalEndpoint(slug: string, version: string, team: string | null): Promise<Deployment> {
  return requestJson(`/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}/eval-endpoint`, {
    method: 'POST',
    body: team ? { team } : {},
  });
}

export function stopDeployment(id: string): Promise<Deployment> {
  return requestJson(`/deployments/${encodeURIComponent(id)}/stop`, { method: 'POST' });
}

export function tryDeployment(id: string, input: TryInput): Promise<TryResult> {
  return requestJson(`/deployments/${encodeURIComponent(id)}/try`, { method: 'POST', body: input });
}

export function compareDeployments(ids: string[], inputs: string[], maxTokens?: number): Promise<CompareResult> {
  return requestJson('/compare', { method: 'POST', body: { deployments: ids, inputs, ...(maxTokens ? { maxTokens } : {}) } });
}

export function listTemplates(signal?: AbortSignal): Promise<DeploymentTemplate[]> {
  return requestJson('/deployment-templates', { signal });
}

export function putTemplate(name: string, description: string, settings: unknown): Promise<DeploymentTemplate> {
  return requestJson(`/deployment-templates/${encodeURIComponent(name)}`, { method: 'PUT', body: { description, settings } });
}

export function getEvalLimits(signal?: AbortSignal): Promise<EvalLimits> {
  return requestJson('/eval-limits', { signal });
}

export function putEvalLimits(limits: EvalLimits): Promise<EvalLimits> {
  return requestJson('/eval-limits', { method: 'PUT', body: limits });
}

/** A team as GET /teams lists it. */
export interface Team {
  slug: string;
  name: string;
  models: number;
}

/** The evaluation quota that applies to a team: its own where an admin set one, else the defaults. */
export interface TeamQuota {
  maxEndpoints: number;
  maxGpus: number;
  /** The team's own settings; null where the default applies. */
  own: TeamQuotaInput;
}

/** A team's own quota; null takes the installation default. */
export interface TeamQuotaInput {
  maxEvalEndpoints: number | null;
  maxGpus: number | null;
}

export async function listTeams(signal?: AbortSignal): Promise<Team[]> {
  return (await requestJson<{ items: Team[] }>('/teams', { signal })).items;
}

export function getTeamQuota(team: string, signal?: AbortSignal): Promise<TeamQuota> {
  return requestJson(`/teams/${encodeURIComponent(team)}/quota`, { signal });
}

export function putTeamQuota(team: string, quota: TeamQuotaInput): Promise<void> {
  return requestEmpty(`/teams/${encodeURIComponent(team)}/quota`, { method: 'PUT', body: quota });
}
