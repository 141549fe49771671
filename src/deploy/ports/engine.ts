/**
 * A deployment engine: where a deployment actually runs. The local runner (embedded default)
 * and KServe implement it; the deployment service records state and applies policy around it.
 */
import type { TemplateSettings } from '../template-schema.js';

export type EngineName = 'local' | 'kserve' | 'seldon';

/** Everything an engine needs to run one deployment. */
export interface EngineDeployment {
  /** Deployment id (uuid). */
  id: string;
  /** DNS-safe name for the endpoint (e.g. `mg-1a2b3c4d-sentiment-small`). */
  name: string;
  model: {
    slug: string;
    version: string;
    /** Format of the served file: onnx | gguf | safetensors | … */
    format: string;
    /** The catalog task (text-classification, text-generation, …) or null. */
    task: string | null;
    /** Where a cluster fetches the files (oci://, s3://, pvc://, hf://…); local engines ignore it. */
    storageUri: string;
    /** Local path of the model file, for the local runner. */
    localPath?: string | undefined;
  };
  template: string;
  settings: TemplateSettings;
  team: string;
  useCase: string;
  environment: 'evaluation' | 'production';
  /** Evaluation endpoints end then; null for deployments without a lifetime. */
  expiresAt: Date | null;
}

export interface EngineStatus {
  state: 'starting' | 'ready' | 'failed' | 'gone';
  endpointUrl: string | null;
  message?: string | undefined;
  logTail?: string[] | undefined;
  /** Engine-specific facts to keep (pid for the local runner, resource name for KServe). */
  handle?: Record<string, unknown> | undefined;
}

export interface DeploymentEngine {
  readonly name: EngineName;
  /** The resources the engine would create, as plain objects (KServe manifests); validated. */
  render(d: EngineDeployment): Promise<Record<string, unknown>[]>;
  /** Starts the deployment and resolves when it serves (ready) or throws AppError ENDPOINT_FAILED. */
  start(d: EngineDeployment): Promise<EngineStatus>;
  /** Removes it; resolves once it is gone (a missing deployment is not an error). */
  stop(d: EngineDeployment, handle: Record<string, unknown> | null): Promise<void>;
  /** What is really running now (used after a restart to reconcile recorded state). */
  status(d: EngineDeployment, handle: Record<string, unknown> | null): Promise<EngineStatus>;
}
