/**
 * The data-plane half of readiness: after the control plane says ready, the model's own OIP
 * route must answer. Ready conditions describe service health, not a loaded model, and routes
 * (ingress, DNS, seldon-mesh's Envoy) lag behind them (kserve/kserve#1658, #3262), so the first
 * requests after Ready can still get 404s.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Probes `GET {url}/v2/models/{model}/ready` until 200 or the deadline; `last` says what it saw. */
export async function probeModelReady(url: string, model: string, deadline: number, intervalMs: number, headers: Record<string, string> = {}): Promise<{ ok: boolean; last: string }> {
  let last = 'not probed';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/ready`, { headers, signal: AbortSignal.timeout(Math.min(5000, Math.max(1, deadline - Date.now()))) });
      await res.body?.cancel();
      if (res.status === 200) return { ok: true, last: 'HTTP 200' };
      last = `HTTP ${res.status}`;
    } catch (err) {
      // Unreachable for now (DNS, an ingress route, the mesh restarting): keep probing.
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  return { ok: false, last };
}
