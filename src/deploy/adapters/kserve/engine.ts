/**
 * The KServe deployment engine: renders a deployment as an InferenceService, validates it
 * (schema + webhook rules), applies it server-side and waits until the model really serves.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../k8s/custom-objects.js';
import { AppError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DeploymentEngine, EngineDeployment, EngineStatus } from '../../ports/engine.js';
import { createKServeClient } from './client.js';
import { phaseOf, type IsvcObject } from './readiness.js';
import { renderInferenceService } from './render.js';
import { validateManifest } from './validate.js';
import { waitReady } from './wait-ready.js';

export interface KServeEngineOptions {
  /** A loaded KubeConfig, or the path of a kubeconfig file. Default: in-cluster or ~/.kube/config. */
  kubeConfig?: KubeConfig | string | undefined;
  namespace: string;
  /** How long start() waits for Ready + the data-plane probe. Default 10 min (image pulls, model downloads). */
  readyTimeoutMs?: number | undefined;
  /** How long stop() waits for finalizers. Default 5 min (pods drain for up to the request timeout). */
  stopTimeoutMs?: number | undefined;
  /** Poll interval of stop() and of the data-plane probe. Default 1 s. */
  pollIntervalMs?: number | undefined;
  /** ClusterServingRuntime for GGUF files (see formats.ts); default: huggingface runtime + vLLM. */
  ggufRuntime?: string | undefined;
  logger: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function handleOf(o: IsvcObject, namespace: string, name: string): Record<string, unknown> {
  return { namespace: o.metadata?.namespace ?? namespace, name: o.metadata?.name ?? name, generation: o.metadata?.generation, uid: o.metadata?.uid };
}

export function createKServeEngine(opts: KServeEngineOptions): DeploymentEngine {
  const kc = loadKubeConfig(opts.kubeConfig);
  const client = createKServeClient({ kubeConfig: kc, namespace: opts.namespace });
  const log = opts.logger.child({ domain: 'deploy', engine: 'kserve' });
  const poll = opts.pollIntervalMs ?? 1000;
  /** Where a deployment lives: the recorded handle wins (the namespace option may have changed). */
  const target = (d: EngineDeployment, handle: Record<string, unknown> | null) => ({
    name: typeof handle?.name === 'string' ? handle.name : d.name,
    namespace: typeof handle?.namespace === 'string' ? handle.namespace : opts.namespace,
  });

  function renderValidated(d: EngineDeployment): Record<string, unknown> {
    const manifest = renderInferenceService(d, { namespace: opts.namespace, ggufRuntime: opts.ggufRuntime });
    const verdict = validateManifest(manifest);
    if (!verdict.ok) {
      throw new AppError('MANIFEST_INVALID', `the InferenceService for ${d.name} is invalid: ${verdict.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors: verdict.errors });
    }
    return manifest;
  }

  return {
    name: 'kserve',

    render: async (d) => [renderValidated(d)],

    async start(d) {
      const manifest = renderValidated(d);
      const applied = await client.apply(manifest);
      log.info({ deploymentId: d.id, name: d.name, namespace: opts.namespace, generation: applied.metadata?.generation }, 'InferenceService applied');
      const { object, url } = await waitReady(client, d.name, { timeoutMs: opts.readyTimeoutMs ?? 600_000, namespace: opts.namespace, probeIntervalMs: poll });
      log.info({ deploymentId: d.id, name: d.name, url }, 'endpoint ready');
      return { state: 'ready', endpointUrl: url, handle: handleOf(object, opts.namespace, d.name) };
    },

    async stop(d, handle) {
      const { name, namespace } = target(d, handle);
      if (!(await client.delete(name, namespace))) return;
      // Foreground deletion keeps the object until its pods are gone; "stopped" means gone.
      const deadline = Date.now() + (opts.stopTimeoutMs ?? 300_000);
      while (Date.now() < deadline) {
        if ((await client.get(name, namespace)) === null) {
          log.info({ deploymentId: d.id, name, namespace }, 'InferenceService deleted');
          return;
        }
        await sleep(poll);
      }
      throw new AppError('ENDPOINT_FAILED', `InferenceService ${namespace}/${name} is still being deleted (finalizers?)`, { reason: 'DeleteTimeout', message: 'still present after delete' });
    },

    async status(d, handle): Promise<EngineStatus> {
      const { name, namespace } = target(d, handle);
      const o = await client.get(name, namespace);
      if (!o) return { state: 'gone', endpointUrl: null };
      const p = phaseOf(o);
      const h = handleOf(o, namespace, name);
      switch (p.state) {
        case 'ready':
          return { state: 'ready', endpointUrl: p.url, handle: h };
        case 'failed':
          return { state: 'failed', endpointUrl: null, message: `${p.reason}: ${p.message}`, handle: h };
        case 'starting':
          return { state: 'starting', endpointUrl: null, message: p.message, handle: h };
      }
    },
  };
}
