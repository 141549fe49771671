/**
 * One OCI image manifest per model version, following the CNCF ModelPack model-spec: artifactType
 * `application/vnd.cncf.model.manifest.v1+json`, a model config blob, and one raw layer per file
 * whose path is in `org.cncf.model.filepath` and `org.opencontainers.image.title` (the annotation
 * ORAS uses to name pulled files), so `oras pull`, skopeo and ModelPack-aware runtimes can fetch it.
 */
import { createHash } from 'node:crypto';
import type { Digest, VersionArtifact } from '../ports/artifact-store.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const MODEL_ARTIFACT_TYPE = 'application/vnd.cncf.model.manifest.v1+json';
export const MODEL_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.model.config.v1+json';

const LAYER_TYPES = {
  weight: 'application/vnd.cncf.model.weight.v1.raw',
  weightConfig: 'application/vnd.cncf.model.weight.config.v1.raw',
  doc: 'application/vnd.cncf.model.doc.v1.raw',
  code: 'application/vnd.cncf.model.code.v1.raw',
} as const;

function layerType(format: string, path: string): string {
  if (['safetensors', 'gguf', 'onnx', 'onnx-data'].includes(format)) return LAYER_TYPES.weight;
  if (['config', 'tokenizer', 'safetensors-index'].includes(format)) return LAYER_TYPES.weightConfig;
  if (format === 'readme' || /\.(md|txt|pdf)$/i.test(path) || /(^|\/)licen[cs]e/i.test(path)) return LAYER_TYPES.doc;
  if (/\.(py|sh|js|ts)$/i.test(path)) return LAYER_TYPES.code;
  return LAYER_TYPES.weight;
}

/** An OCI tag for a semantic version (`+` is not allowed in tags; build metadata becomes `_`). */
export function tagOf(version: string): string {
  return version.replace(/\+/g, '_').slice(0, 128);
}

const weightFormat = (files: VersionArtifact['files']) =>
  files.find((f) => f.format === 'gguf') ? 'gguf' : files.find((f) => f.format === 'safetensors') ? 'safetensors' : files.find((f) => f.format === 'onnx') ? 'onnx' : undefined;

export interface BuiltManifest {
  config: Buffer;
  configDigest: Digest;
  manifest: Buffer;
  manifestDigest: Digest;
}

const sha = (b: Buffer): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function buildManifest(a: VersionArtifact): BuiltManifest {
  const files = [...a.files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const config = Buffer.from(
    JSON.stringify({
      descriptor: {
        name: a.slug,
        version: a.version,
        ...(a.info.title ? { title: a.info.title } : {}),
        ...(a.info.description ? { description: a.info.description.slice(0, 1000) } : {}),
        ...(a.info.licenses?.length ? { licenses: a.info.licenses } : {}),
        ...(a.info.family ? { family: a.info.family } : {}),
        ...(a.info.createdAt ? { createdAt: a.info.createdAt } : {}),
      },
      config: weightFormat(files) ? { format: weightFormat(files) } : {},
      // Raw (untarred) layers: the diffID of a raw layer is the digest of its bytes.
      modelfs: { type: 'layers', diffIds: files.map((f) => f.digest) },
    }),
  );
  const configDigest = sha(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      artifactType: MODEL_ARTIFACT_TYPE,
      config: { mediaType: MODEL_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.length },
      layers: files.map((f) => ({
        mediaType: layerType(f.format, f.path),
        digest: f.digest,
        size: f.size,
        annotations: {
          'org.cncf.model.filepath': f.path,
          'org.opencontainers.image.title': f.path,
        },
      })),
      annotations: {
        'org.opencontainers.image.title': a.info.title ?? a.slug,
        'org.opencontainers.image.version': a.version,
        'org.opencontainers.image.ref.name': tagOf(a.version),
        'io.model-garden.artifact': `garden://${a.slug}@${a.version}`,
        ...(a.info.licenses?.length ? { 'org.opencontainers.image.licenses': a.info.licenses.join(' AND ') } : {}),
        ...(a.info.createdAt ? { 'org.opencontainers.image.created': a.info.createdAt } : {}),
      },
    }),
  );
  return { config, configDigest, manifest, manifestDigest: sha(manifest) };
}
