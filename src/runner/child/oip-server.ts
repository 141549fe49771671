/**
 * The child's HTTP server: Open Inference Protocol v2 (KServe's REST paths and JSON shapes, see
 * docs kserve-notes §6) plus the OpenAI-compatible paths for generative models. Every error is
 * `{"error": "message"}` (OpenAI paths use their own shape), and a bad request never takes the
 * process down.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Backend } from './backend.js';
import { HttpError, isHttpError } from './http-error.js';
import { readJson, sendJson } from './http-util.js';
import { handleOpenAi, sendOpenAiError } from './openai-routes.js';
import { decodeInputs, requestedOutputs } from './tensors.js';

export interface ServerOptions {
  /** Required as `Authorization: Bearer …` on every route but health and readiness, when set. */
  apiKey?: string | undefined;
  modelName: string;
  modelVersion: string;
  backend: Backend;
  /** Readiness flag; false while shutting down so probes see 503. */
  isReady: () => boolean;
  log: (line: string) => void;
}

const SERVER_VERSION = '0.1.0';
/** Routes probes use; they say nothing about the model, so they need no key. */
const OPEN = /^\/(?:v2\/health\/(?:live|ready)|v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/ready)?$/;

/** Constant-time comparison of the presented bearer key with the endpoint's. */
function keyMatches(header: string | undefined, key: Buffer): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  return given.length === key.length && timingSafeEqual(given, key);
}
// /v2/models/{name}[/versions/{v}][/ready|/infer]
const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;

export function createOipServer(o: ServerOptions): Server {
  const { backend, modelName, modelVersion } = o;
  const metadata = {
    name: modelName,
    versions: [modelVersion],
    platform: backend.platform,
    inputs: backend.inputs,
    outputs: backend.outputs,
  };
  const notReady = () => new HttpError(503, `Model with name ${modelName} is not ready.`);

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path.startsWith('/v1/') || path.startsWith('/openai/v1/')) {
      await handleOpenAi(req, res, path.startsWith('/openai') ? path.slice(7) : path, o);
      return;
    }
    if (method === 'GET') {
      if (path === '/v2') return sendJson(res, 200, { name: 'marketplace-local-runner', version: SERVER_VERSION, extensions: [] });
      if (path === '/v2/health/live' || path === '/') return sendJson(res, 200, { live: true });
      if (path === '/v2/health/ready') {
        if (!o.isReady()) throw notReady();
        return sendJson(res, 200, { ready: true });
      }
      if (path === '/v2/models') return sendJson(res, 200, { models: [modelName] });
    }
    const m = MODEL_PATH.exec(path);
    if (!m) throw new HttpError(404, `no route ${method} ${path}`);
    const [, rawName, rawVersion, action] = m;
    const name = decodeURIComponent(rawName!);
    if (name !== modelName) throw new HttpError(404, `Model with name ${name} does not exist.`);
    if (rawVersion !== undefined && decodeURIComponent(rawVersion) !== modelVersion) {
      throw new HttpError(404, `Model ${name} has no version ${decodeURIComponent(rawVersion)}.`);
    }
    if (action === '/infer') {
      if (method !== 'POST') throw new HttpError(405, `use POST for ${path}`);
      if (!o.isReady()) throw notReady();
      return infer(req, res);
    }
    if (method !== 'GET') throw new HttpError(405, `use GET for ${path}`);
    if (action === '/ready') {
      if (!o.isReady()) throw notReady();
      return sendJson(res, 200, { name: modelName, ready: true });
    }
    return sendJson(res, 200, metadata);
  }

  async function infer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const inputs = decodeInputs(body.inputs, backend.inputs);
    const outputs = requestedOutputs(body.outputs, backend.outputs);
    const parameters = body.parameters ?? {};
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      throw new HttpError(400, 'parameters must be an object');
    }
    const result = await backend.infer(inputs, outputs, parameters as Record<string, unknown>);
    const reply: Record<string, unknown> = { model_name: modelName, model_version: modelVersion };
    if (body.id !== undefined) reply.id = body.id;
    reply.parameters = {};
    reply.outputs = result;
    sendJson(res, 200, reply);
  }

  const key = o.apiKey ? Buffer.from(o.apiKey) : null;
  const authorized = (req: IncomingMessage, path: string) => !key || OPEN.test(path) || keyMatches(req.headers.authorization, key);

  return createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const ok = authorized(req, path);
    if (!ok) req.resume(); // drain the body so the connection stays usable
    const handled = ok ? route(req, res, path) : Promise.reject(new HttpError(401, 'this endpoint needs its key: Authorization: Bearer <key> (shown to its team on the deployment)'));
    handled.catch((err: unknown) => {
      const status = isHttpError(err) ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status >= 500) o.log(`error ${req.method} ${path}: ${message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (path.startsWith('/v1/') || path.startsWith('/openai/v1/')) sendOpenAiError(res, status, message);
      else sendJson(res, status, { error: message });
    });
  });
}
