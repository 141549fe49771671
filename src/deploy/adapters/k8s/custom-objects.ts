/**
 * Namespaced custom resources through @kubernetes/client-node 1.4.0 (2.x needs Node ≥ 22.19;
 * kserve-notes §4): server-side apply, get, foreground delete, list by label, and a watch of one
 * object until a condition holds. API errors become AppError codes. KServe InferenceServices
 * and Seldon Models both go through it.
 */
import { ApiException, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { AppError } from '../../../core/errors.js';

/** A loaded KubeConfig as given, a kubeconfig file, or the default (in-cluster, then ~/.kube/config). */
export function loadKubeConfig(k: KubeConfig | string | undefined): KubeConfig {
  if (k instanceof KubeConfig) return k;
  const kc = new KubeConfig();
  if (typeof k === 'string') kc.loadFromFile(k);
  else kc.loadFromDefault();
  return kc;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** True when the API server could not be reached at all (no HTTP answer). */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if ((e as { type?: unknown }).type === 'system') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** Maps a failed API call to AppError; a 4xx body's Status message is kept for the user. */
export function toAppError(err: unknown, what: string, kind = 'object'): AppError {
  if (err instanceof AppError) return err;
  if (isNetworkError(err)) return new AppError('ADAPTER_UNAVAILABLE', `Kubernetes API server unreachable (${what})`, {}, { cause: err });
  if (err instanceof ApiException) {
    const body = (typeof err.body === 'string' ? safeJson(err.body) : err.body) as { message?: string; reason?: string } | undefined;
    const message = body?.message ?? err.message;
    if (err.code === 422 || err.code === 400) {
      return new AppError('MANIFEST_INVALID', `the API server rejected the ${kind}: ${message}`, { errors: [{ path: '/', message }] }, { cause: err });
    }
    if (err.code >= 500) return new AppError('ADAPTER_UNAVAILABLE', `Kubernetes API error ${err.code} (${what}): ${message}`, { status: err.code }, { cause: err });
    return new AppError('ENDPOINT_FAILED', `Kubernetes API error ${err.code} (${what}): ${message}`, { reason: body?.reason ?? `HTTP${err.code}`, message }, { cause: err });
  }
  return new AppError('ADAPTER_UNAVAILABLE', `Kubernetes API call failed (${what}): ${String(err)}`, {}, { cause: err });
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Which custom resource a client manages. */
export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  /** For messages: "InferenceService", "Seldon Model". */
  kind: string;
  /** Server-side apply field manager. */
  manager: string;
}

export interface CustomObjectClientOptions extends ResourceKind {
  kubeConfig: KubeConfig;
  namespace: string;
}

export type CustomObjectClient<T> = ReturnType<typeof createCustomObjectClient<T>>;

export function createCustomObjectClient<T>(opts: CustomObjectClientOptions) {
  const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = opts;
  const where = (namespace?: string) => ({ group, version, plural, namespace: namespace ?? opts.namespace });
  const appError = (err: unknown, what: string) => toAppError(err, what, opts.kind);

  async function call<R>(what: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw appError(err, what);
    }
  }

  const client = {
    /** Server-side apply: create-or-update, idempotent; our field manager owns what we render. */
    apply: (manifest: Record<string, unknown>): Promise<T> => {
      const meta = manifest.metadata as { name: string; namespace?: string };
      return call('apply', () =>
        api.patchNamespacedCustomObject(
          { ...where(meta.namespace), name: meta.name, body: manifest, fieldManager: opts.manager, force: true, fieldValidation: 'Strict' },
          setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
        ),
      );
    },

    /** The object, or null when it does not exist. */
    get: async (name: string, namespace?: string): Promise<T | null> => {
      try {
        return (await api.getNamespacedCustomObject({ ...where(namespace), name })) as T;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw appError(err, 'get');
      }
    },

    /** Foreground deletion (dependents first); a missing object counts as deleted. Returns false if it was absent. */
    delete: async (name: string, namespace?: string): Promise<boolean> => {
      try {
        await api.deleteNamespacedCustomObject({ ...where(namespace), name, propagationPolicy: 'Foreground' });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw appError(err, 'delete');
      }
    },

    list: (labelSelector: string, namespace?: string): Promise<T[]> =>
      call('list', async () => ((await api.listNamespacedCustomObject({ ...where(namespace), labelSelector })) as { items: T[] }).items),

    /** Watches one object until fn returns a value or throws; restarts the watch when the server ends it. */
    watchUntil<R>(name: string, namespace: string | undefined, timeoutMs: number, fn: (type: string, o: T) => R | undefined, onTimeout: () => AppError): Promise<R> {
      const path = `/apis/${group}/${version}/namespaces/${namespace ?? opts.namespace}/${plural}`;
      const watch = new Watch(opts.kubeConfig);
      return new Promise<R>((resolve, reject) => {
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
              (type, o: T) => {
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
                if (err && isNetworkError(err)) finish(() => reject(appError(err, 'watch')));
                // A watch ends on server timeouts and restarts; without a resourceVersion the
                // new watch replays the current object as ADDED, so no event is lost.
                else setTimeout(start, 100);
              },
            )
            .then((c) => {
              controller = c;
              if (settled) c.abort();
            })
            .catch((err: unknown) => finish(() => reject(appError(err, 'watch'))));
        };
        start();
      });
    },

    /**
     * Watches one object until `ready` returns a value (or throws, e.g. on a failed load); on
     * timeout, ENDPOINT_FAILED says what the object last reported (`describe`).
     */
    watchReady<R>(name: string, namespace: string | undefined, timeoutMs: number, ready: (type: string, o: T) => R | undefined, describe: (last: T | undefined) => string): Promise<R> {
      let last: T | undefined;
      return client.watchUntil(
        name,
        namespace,
        timeoutMs,
        (type, o) => {
          last = o;
          return ready(type, o);
        },
        () => {
          const message = describe(last);
          return new AppError('ENDPOINT_FAILED', `the ${opts.kind} did not become ready within ${timeoutMs} ms: ${message}`, { reason: 'ReadyTimeout', message });
        },
      );
    },
  };
  return client;
}
