/**
 * Model files: resumable uploads (tus-like: POST declares the file, PATCH appends a chunk at
 * `Upload-Offset`, HEAD/GET tell the offset to resume from), commit, listing and download.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { SemVer, Slug, VersionView } from '../../catalog/index.js';
import { prefillVersion } from '../../registry/prefill.js';
import { AppError } from '../../core/errors.js';
import { parseRange } from '../http-range.js';

const VersionParams = z.object({ slug: Slug, version: SemVer }).strict();
const UploadParams = z.object({ id: z.uuid() }).strict();

const UploadState = z.object({
  id: z.string(),
  path: z.string(),
  digest: z.string(),
  size: z.number(),
  offset: z.number().describe('bytes received: where the next chunk must start'),
  complete: z.boolean(),
  deduplicated: z.boolean().describe('a version you can read already has these bytes; nothing needs to be sent'),
});

const VersionFile = z.object({
  path: z.string(),
  digest: z.string(),
  size: z.number(),
  format: z.string(),
  location: z.string().optional().describe('where the blob lives in the artifact store (file://, oci://, s3://); shown to admins only'),
  shared: z.boolean().describe('another version you can see holds the same bytes; they are stored once'),
});

const Extraction = z.object({
  fields: z.record(z.string(), z.unknown()).describe('catalog fields the files state (architecture, parameters, card, hardware…)'),
  details: z.record(z.string(), z.unknown()).describe('what each reader found (config.json, safetensors, GGUF, ONNX, README)'),
  notes: z.array(z.string()),
});

export const registryRoutes: FastifyPluginAsyncZod = async (app) => {
  const { registry } = app.services;
  // Chunks arrive as raw bytes and are streamed to staging, never buffered.
  app.addContentTypeParser(['application/offset+octet-stream', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  app.post(
    '/models/:slug/versions/:version/uploads',
    {
      schema: {
        tags: ['registry'],
        summary: 'Declare a file of a draft version; resumes an unfinished upload of the same file',
        params: VersionParams,
        body: z.object({ path: z.string().max(4096), digest: z.string().max(80), size: z.number().int().nonnegative() }).strict(),
        response: { 201: UploadState },
      },
    },
    async (req, reply) => reply.code(201).send(await registry.startUpload(req.actor, req.params.slug, req.params.version, req.body)),
  );

  app.get(
    '/uploads/:id',
    { schema: { tags: ['registry'], summary: 'Where an upload stands', params: UploadParams, response: { 200: UploadState } } },
    async (req, reply) => {
      const s = await registry.uploadStatus(req.actor, req.params.id);
      reply.header('upload-offset', String(s.offset)).header('upload-length', String(s.size));
      return s;
    },
  );

  app.patch(
    '/uploads/:id',
    {
      schema: {
        tags: ['registry'],
        summary: 'Append a chunk (Content-Type: application/offset+octet-stream, Upload-Offset: n)',
        params: UploadParams,
        headers: z.object({ 'upload-offset': z.coerce.number().int().nonnegative() }).passthrough(),
        response: { 200: UploadState },
      },
    },
    async (req, reply) => {
      if (!req.body || typeof (req.body as Readable).pipe !== 'function') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the chunk as application/offset+octet-stream');
      }
      const s = await registry.appendChunk(req.actor, req.params.id, req.headers['upload-offset'], req.body as Readable);
      reply.header('upload-offset', String(s.offset));
      return s;
    },
  );

  app.post(
    '/models/:slug/versions/:version/files/commit',
    {
      schema: {
        tags: ['registry'],
        summary: 'Make the finished uploads the version’s files, all at once',
        params: VersionParams,
        response: { 200: z.object({ items: z.array(VersionFile) }) },
      },
    },
    async (req) => ({ items: await registry.commitFiles(req.actor, req.params.slug, req.params.version) }),
  );

  app.get(
    '/models/:slug/versions/:version/files',
    {
      schema: {
        tags: ['registry'],
        summary: 'A version’s files',
        params: VersionParams,
        response: { 200: z.object({ items: z.array(VersionFile) }) },
      },
    },
    async (req) => ({ items: await registry.listFiles(req.actor, req.params.slug, req.params.version) }),
  );

  app.get(
    '/models/:slug/versions/:version/files/*',
    {
      schema: {
        tags: ['registry'],
        summary: 'Download one file (supports Range and HEAD); retired versions are refused',
        params: z.object({ slug: Slug, version: SemVer, '*': z.string().min(1).max(4096) }).strict(),
      },
    },
    async (req, reply) => {
      const { slug, version } = req.params;
      const rangeFor = (size: number) => {
        const range = parseRange(req.headers.range, size);
        if (range === 'unsatisfiable') {
          throw new AppError('RANGE_NOT_SATISFIABLE', `the file has ${size} bytes; Range ${String(req.headers.range).slice(0, 80)} asks for none of them`, { size });
        }
        return range;
      };
      const { file, range: served, stream } = await registry.openFile(req.actor, slug, version, req.params['*'], rangeFor, {
        channel: 'api',
        userAgent: req.headers['user-agent'] ?? null,
        record: req.method !== 'HEAD',
      });
      reply
        .header('etag', `"${file.digest.slice('sha256:'.length)}"`)
        .header('x-content-digest', file.digest)
        .header('accept-ranges', 'bytes')
        .type('application/octet-stream');
      if (served) {
        reply
          .code(206)
          .header('content-range', `bytes ${served.start}-${served.end}/${file.size}`)
          .header('content-length', String(served.end - served.start + 1));
      } else {
        reply.header('content-length', String(file.size));
      }
      // For HEAD, Fastify sends these headers and drops the body.
      return reply.send(stream);
    },
  );

  app.get(
    '/models/:slug/versions/:version/extraction',
    {
      schema: {
        tags: ['registry'],
        summary: 'What the committed files say about the model (headers only; nothing is changed)',
        params: VersionParams,
        response: { 200: Extraction },
      },
    },
    async (req) => {
      const x = await registry.extractVersion(req.actor, req.params.slug, req.params.version);
      return { fields: { ...x.fields }, details: { ...x.details }, notes: x.notes };
    },
  );

  app.post(
    '/models/:slug/versions/:version/prefill',
    {
      schema: {
        tags: ['registry'],
        summary: 'Write what the files say into the draft’s empty fields; what the owner wrote is kept',
        params: VersionParams,
        response: { 200: z.object({ filled: z.array(z.string()), notes: z.array(z.string()), version: VersionView }) },
      },
    },
    async (req) => prefillVersion(registry, app.services.catalog, req.actor, req.params.slug, req.params.version),
  );

  app.get(
    '/registry/stats',
    {
      schema: {
        tags: ['registry'],
        summary: 'Bytes referenced by versions, bytes stored, and bytes saved by deduplication',
        response: { 200: z.object({ referencedBytes: z.number(), storedBytes: z.number(), savedBytes: z.number() }) },
      },
    },
    async (req) => registry.storageStats(req.actor),
  );
};
