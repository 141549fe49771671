/**
 * The Seldon Core v2 deployment engine: renders a deployment as a `Model`, validates it (CRD
 * schema + operator rules), applies it server-side and waits until seldon-mesh serves it.
 * Unlike KServe there is no per-model URL: every model is reached through the one seldon-mesh
 * Service, routed by the `Seldon-Model` header, which the handle records for callers.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../k8s/custom-objects.js';
import { AppError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { DeploymentEngine, EngineDeployment, EngineStatus } from '../../ports/engine.js';
import { createSeldonClient } from './client.js';
import { phaseOf, type SeldonModelObject } from './readiness.js';
import { renderSeldonModel } from './render.js';
import { assertValidSeldonModel } from './validate.js';
import { routingHeaders, waitReady } from './wait-ready.js';

export interface SeldonEngineOptions {
  /** A loaded KubeConfig, or the path of a kubeconfig file. Default: in-cluster or ~/.kube/config. */
  kubeConfig?: KubeConfig | string | undefined;
  namespace: string;
  /** The seldon-mesh base URL, e.g. http://seldon-mesh.seldon-mesh (port 80 on Kubernetes). */
  inferenceUrl: string;
  /** Pins every Model to this Server; default: Seldon schedules by capability. */
  server?: string | undefined;
  /** How long start() waits for ModelReady + the mesh probe. Default 10 min (model downloads). */
  readyTimeoutMs?: number | undefined;
  /** How long stop() waits for the operator's finalizer (model unload). Default 5 min. */
  stopTimeoutMs?: number | undefined;
  /** Poll interval of stop() and of the mesh probe. Default 1 s. */
  pollIntervalMs?: number | undefined;
  logger: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function handleOf(o: SeldonModelObject, namespace: string, name: string): Record<string, unknown> {
  const n = o.metadata?.name ?? name;
  return { namespace: o.metadata?.namespace ?? namespace, name: n, generation: o.metadata?.generation, uid: o.metadata?.uid, headers: routingHeaders(n) };
}

export function createSeldonEngine(opts: SeldonEngineOptions): DeploymentEngine {
  const kc = loadKubeConfig(opts.kubeConfig);
  const client = createSeldonClient({ kubeConfig: kc, namespace: opts.namespace });
  const log = opts.logger.child({ domain: 'deploy', engine: 'seldon' });
  const poll = opts.pollIntervalMs ?? 1000;
  const endpointUrl = opts.inferenceUrl.replace(/\/+$/, '');
  /** Where a deployment lives: the recorded handle wins (the namespace option may have changed). */
  const target = (d: EngineDeployment, handle: Record<string, unknown> | null) => ({
    name: typeof handle?.name === 'string' ? handle.name : d.name,
    namespace: typeof handle?.namespace === 'string' ? handle.namespace : opts.namespace,
  });
  const renderValidated = (d: EngineDeployment) => assertValidSeldonModel(renderSeldonModel(d, { namespace: opts.namespace, server: opts.server }));

  return {
    name: 'seldon',

    render: async (d) => [renderValidated(d)],

    async start(d) {
      const manifest = renderValidated(d);
      const applied = await client.apply(manifest);
      log.info({ deploymentId: d.id, name: d.name, namespace: opts.namespace, generation: applied.metadata?.generation }, 'Seldon Model applied');
      const object = await waitReady(client, d.name, { timeoutMs: opts.readyTimeoutMs ?? 600_000, namespace: opts.namespace, inferenceUrl: endpointUrl, probeIntervalMs: poll });
      log.info({ deploymentId: d.id, name: d.name, url: endpointUrl }, 'endpoint ready');
      return { state: 'ready', endpointUrl, handle: handleOf(object, opts.namespace, d.name) };
    },

    async stop(d, handle) {
      const { name, namespace } = target(d, handle);
      if (!(await client.delete(name, namespace))) return;
      // The operator's finalizer keeps the object until the scheduler has unloaded the model;
      // "stopped" means gone, so wait for it.
      const deadline = Date.now() + (opts.stopTimeoutMs ?? 300_000);
      while (Date.now() < deadline) {
        if ((await client.get(name, namespace)) === null) {
          log.info({ deploymentId: d.id, name, namespace }, 'Seldon Model deleted');
          return;
        }
        await sleep(poll);
      }
      throw new AppError('ENDPOINT_FAILED', `Seldon Model ${namespace}/${name} is still being deleted (finalizer?)`, { reason: 'DeleteTimeout', message: 'still present after delete' });
    },

    async status(d, handle): Promise<EngineStatus> {
      const { name, namespace } = target(d, handle);
      const o = await client.get(name, namespace);
      if (!o) return { state: 'gone', endpointUrl: null };
      const p = phaseOf(o);
      const h = handleOf(o, namespace, name);
      switch (p.state) {
        case 'ready':
          return { state: 'ready', endpointUrl, handle: h };
        case 'failed':
          return { state: 'failed', endpointUrl: null, message: `${p.reason}: ${p.message}`, handle: h };
        case 'starting':
          return { state: 'starting', endpointUrl: null, message: p.message, handle: h };
      }
    },
  };
}
