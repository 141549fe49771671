/**
 * Hugging Face Hub-compatible read endpoints under /hf, so `HF_ENDPOINT=http://host:8080/hf`
 * lets huggingface_hub / transformers download catalog models unchanged. Errors follow the Hub:
 * JSON `{ error }` with `X-Error-Code` and `X-Error-Message`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHfView, HfError } from '../../registry/hf.js';
import { toAppError } from '../error-handler.js';
import { parseRange, unsatisfiedRange } from '../http-range.js';
import { HTTP_STATUS } from '../error-handler.js';

type Params = Record<string, string>;
/** Header values must be visible ASCII. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');
const decode = (s: string) => s.split('/').map(decodeURIComponent).join('/');

export async function hfRoutes(app: FastifyInstance): Promise<void> {
  const hf = createHfView({ catalog: app.services.catalog, registry: app.services.registry });
  const EXPOSE = 'X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Location, X-Error-Code, X-Error-Message';

  app.setErrorHandler((err, req, reply) => {
    reply.header('access-control-expose-headers', EXPOSE);
    if (err instanceof HfError) {
      if (err.commit) reply.header('x-repo-commit', err.commit);
      return reply.code(404).header('x-error-code', err.hfCode).header('x-error-message', headerSafe(err.message)).type('application/json').send({ error: err.message });
    }
    const e = toAppError(err);
    const status = HTTP_STATUS[e.code];
    if (status >= 500) req.log.error({ err }, 'hf request failed');
    return reply.code(status).header('x-error-message', headerSafe(e.message)).type('application/json').send({ error: e.message, code: e.code });
  });

  const info = async (req: FastifyRequest, p: Params) => hf.info(req.actor, p.ns ?? '', p.name ?? '', decodeURIComponent(p.rev ?? 'main'));
  app.get('/api/models/:ns/:name', async (req) => info(req, req.params as Params));
  app.get('/api/models/:ns/:name/revision/:rev', async (req) => info(req, req.params as Params));

  app.get('/api/models/:ns/:name/tree/:rev', async (req) => tree(req));
  app.get('/api/models/:ns/:name/tree/:rev/*', async (req) => tree(req));
  async function tree(req: FastifyRequest) {
    const p = req.params as Params;
    const q = req.query as Record<string, string | undefined>;
    const truthy = (v: string | undefined) => v === 'true' || v === '1';
    return hf.tree(req.actor, p.ns ?? '', p.name ?? '', decodeURIComponent(p.rev ?? 'main'), decode(p['*'] ?? ''), truthy(q.recursive), truthy(q.expand));
  }

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form = new URLSearchParams(body as string);
    done(null, { paths: form.getAll('paths'), expand: form.get('expand') === 'true' });
  });
  app.post('/api/models/:ns/:name/paths-info/:rev', async (req) => {
    const p = req.params as Params;
    const body = (req.body ?? {}) as { paths?: unknown; expand?: unknown };
    const paths = (Array.isArray(body.paths) ? body.paths : [body.paths]).filter((x): x is string => typeof x === 'string').slice(0, 10_000);
    return hf.pathsInfo(req.actor, p.ns ?? '', p.name ?? '', decodeURIComponent(p.rev ?? 'main'), paths, body.expand === true || body.expand === 'true');
  });

  async function serve(req: FastifyRequest, reply: FastifyReply, raw: boolean) {
    const p = req.params as Params;
    const f = await hf.file(req.actor, p.ns ?? '', p.name ?? '', decodeURIComponent(p.rev ?? 'main'), decode(p['*'] ?? ''));
    const sha = f.file.digest.slice(7);
    reply
      .header('access-control-expose-headers', EXPOSE)
      .header('x-repo-commit', f.commit)
      .header('accept-ranges', 'bytes')
      .header('content-type', 'application/octet-stream');
    if (raw) {
      // git content of an LFS file is its pointer
      return reply.header('etag', `"${sha}"`).header('content-length', String(Buffer.byteLength(f.pointer))).send(f.pointer);
    }
    reply.header('etag', `"${sha}"`).header('x-linked-etag', `"${sha}"`).header('x-linked-size', String(f.file.size));
    const range = parseRange(req.headers.range, f.file.size);
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', unsatisfiedRange(f.file.size)).send();
    }
    const opened = await app.services.registry.openFile(req.actor, f.model.slug, f.version, f.file.path, range ?? undefined, {
      channel: 'hf',
      userAgent: req.headers['user-agent'] ?? null,
      record: req.method !== 'HEAD',
    });
    if (range) {
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${f.file.size}`).header('content-length', String(range.end - range.start + 1));
    } else {
      reply.header('content-length', String(f.file.size));
    }
    return reply.send(opened.stream);
  }
  app.get('/:ns/:name/resolve/:rev/*', async (req, reply) => serve(req, reply, false));
  app.get('/:ns/:name/raw/:rev/*', async (req, reply) => serve(req, reply, true));
}
