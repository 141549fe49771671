/**
 * The Kubernetes side of the Seldon engine: Model calls through @kubernetes/client-node 1.4.0
 * (kserve-notes §4). API errors map to AppError codes exactly as for KServe (shared toAppError);
 * readiness is learnt by watch, not polling.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { AppError } from '../../../core/errors.js';
import { isNetworkError, isNotFound, toAppError as kserveToAppError } from '../kserve/client.js';
import { GROUP, MANAGER, PLURAL, VERSION } from './render.js';
import type { SeldonModelObject } from './readiness.js';

/** The KServe mapping, with the 400/422 wording naming the right kind. */
export function toAppError(err: unknown, what: string): AppError {
  const e = kserveToAppError(err, what);
  if (e.code !== 'MANIFEST_INVALID' || err instanceof AppError) return e;
  return new AppError('MANIFEST_INVALID', e.message.replace('the InferenceService', 'the Seldon Model'), e.details, { cause: err });
}

export interface SeldonClientOptions {
  kubeConfig: KubeConfig;
  namespace: string;
}

export type SeldonClient = ReturnType<typeof createSeldonClient>;

export function createSeldonClient(opts: SeldonClientOptions) {
  const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const where = (namespace?: string) => ({ group: GROUP, version: VERSION, plural: PLURAL, namespace: namespace ?? opts.namespace });

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toAppError(err, what);
    }
  }

  return {
    /** Server-side apply: create-or-update, idempotent; our field manager owns what we render. */
    apply: (manifest: Record<string, unknown>): Promise<SeldonModelObject> => {
      const meta = manifest.metadata as { name: string; namespace?: string };
      return call('apply', () =>
        api.patchNamespacedCustomObject(
          { ...where(meta.namespace), name: meta.name, body: manifest, fieldManager: MANAGER, force: true, fieldValidation: 'Strict' },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        ) as Promise<SeldonModelObject>,
      );
    },

    /** The object, or null when it does not exist. */
    get: async (name: string, namespace?: string): Promise<SeldonModelObject | null> => {
      try {
        return (await api.getNamespacedCustomObject({ ...where(namespace), name })) as SeldonModelObject;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw toAppError(err, 'get');
      }
    },

    /**
     * Foreground deletion; a missing object counts as deleted. Returns false if it was absent.
     * The operator's finalizer holds the object until the scheduler has unloaded the model.
     */
    delete: async (name: string, namespace?: string): Promise<boolean> => {
      try {
        await api.deleteNamespacedCustomObject({ ...where(namespace), name, propagationPolicy: 'Foreground' });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw toAppError(err, 'delete');
      }
    },

    list: (labelSelector: string, namespace?: string): Promise<SeldonModelObject[]> =>
      call('list', async () => ((await api.listNamespacedCustomObject({ ...where(namespace), labelSelector })) as { items: SeldonModelObject[] }).items),

    /** Watches one object until fn returns a value or throws; restarts the watch when the server ends it. */
    watchUntil<T>(name: string, namespace: string | undefined, timeoutMs: number, fn: (type: string, o: SeldonModelObject) => T | undefined, onTimeout: () => AppError): Promise<T> {
      const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace ?? opts.namespace}/${PLURAL}`;
      const watch = new Watch(opts.kubeConfig);
      return new Promise<T>((resolve, reject) => {
        let settled = false;
        let controller: AbortController | undefined;
        const finish = (f: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          controller?.abort();
          f();
        };
        const timer = setTimeout(() => finish(() => reject(onTimeout())), timeoutMs);
        const start = () => {
          if (settled) return;
          watch
            .watch(
              path,
              { fieldSelector: `metadata.name=${name}` },
              (type, o: SeldonModelObject) => {
                if (settled || type === 'BOOKMARK' || type === 'ERROR') return;
                try {
                  const v = fn(type, o);
                  if (v !== undefined) finish(() => resolve(v));
                } catch (err) {
                  finish(() => reject(err instanceof Error ? err : new Error(String(err))));
                }
              },
              (err: unknown) => {
                if (settled) return;
                if (err && isNetworkError(err)) finish(() => reject(toAppError(err, 'watch')));
                // Without a resourceVersion the new watch replays the current object as ADDED,
                // so restarting after a server-side timeout loses no event.
                else setTimeout(start, 100);
              },
            )
            .then((c) => {
              controller = c;
              if (settled) c.abort();
            })
            .catch((err: unknown) => finish(() => reject(toAppError(err, 'watch'))));
        };
        start();
      });
    },
  };
}
