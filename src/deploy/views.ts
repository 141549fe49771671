/** What the API and CLI show of deployments (one zod schema: validation, types, OpenAPI). */
import { z } from 'zod';
import { StoredTemplateSettings } from './template-schema.js';

export const DEPLOYMENT_STATES = ['running', 'pending', 'starting', 'ready', 'failed', 'stopping', 'stopped', 'expired'] as const;
/** States in which a deployment holds (or is about to hold) resources. */
export const LIVE_STATES = ['pending', 'starting', 'ready', 'stopping'] as const;
/** States a stop applies to (`running`: production deployments recorded before engines existed). */
export const STOPPABLE_STATES = ['pending', 'starting', 'ready', 'running'] as const;

export const DeploymentView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  model: z.object({ slug: z.string(), version: z.string() }),
  team: z.string(),
  useCase: z.string(),
  environment: z.enum(['evaluation', 'production']),
  template: z.string(),
  engine: z.enum(['local', 'kserve', 'seldon']),
  settings: StoredTemplateSettings.nullable(),
  gpus: z.number(),
  state: z.enum(DEPLOYMENT_STATES),
  endpointUrl: z.string().nullable(),
  /** The endpoint's own key (local runner), for those who may use it: `Authorization: Bearer <key>`. */
  endpointKey: z.string().nullable(),
  /** The model name to use in OIP paths and the OpenAI `model` field. */
  modelName: z.string(),
  lastError: z.string().nullable(),
  /** Why a failed deployment failed: out_of_memory, crashed, hung, start_failed, start_timeout, engine_failed… */
  failureReason: z.string().nullable(),
  logTail: z.array(z.string()),
  expiresAt: z.string().nullable(),
  createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  createdAt: z.string(),
  readyAt: z.string().nullable(),
  stoppedAt: z.string().nullable(),
  /** What the caller may do with it now. */
  canStop: z.boolean(),
});
export type DeploymentViewT = z.infer<typeof DeploymentView>;

export const DryRunView = z.object({
  deployment: DeploymentView.pick({ name: true, model: true, team: true, useCase: true, environment: true, template: true, engine: true, settings: true, gpus: true, expiresAt: true }),
  policy: z.object({ allowed: z.literal(true) }),
  manifests: z.array(z.record(z.string(), z.unknown())),
});
export type DryRunViewT = z.infer<typeof DryRunView>;
