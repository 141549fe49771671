/**
 * OCI registry artifact store. Every blob lives in one repository (`<namespace>/blobs`), uploaded
 * with the Distribution API's streamed upload (POST, PATCH, PUT ?digest=) so the registry, too,
 * checks the digest; a version is published as an OCI image manifest in `<namespace>/<slug>` tagged
 * with the version, its blobs mounted from the blob repository (no bytes copied).
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../../core/errors.js';
import { VerifyingStream } from '../hashing.js';
import { DIGEST_RE, type ArtifactStore, type ByteRange, type Digest, type VersionArtifact } from '../ports/artifact-store.js';
import { createOciClient, registryError, type OciClientOptions } from './oci-client.js';
import { buildManifest, MANIFEST_MEDIA_TYPE, tagOf } from './oci-manifest.js';

export interface OciStoreOptions extends OciClientOptions {
  /** Repository path prefix, e.g. `model-garden` (blobs go to `<namespace>/blobs`). */
  namespace: string;
}

const REPO_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function checkDigest(digest: string): asserts digest is Digest {
  if (!DIGEST_RE.test(digest)) throw new AppError('INVALID_INPUT', `not a sha256 digest: ${digest.slice(0, 80)}`);
}

export function createOciStore(opts: OciStoreOptions): ArtifactStore {
  const namespace = opts.namespace.replace(/^\/+|\/+$/g, '');
  if (!REPO_RE.test(namespace)) throw new AppError('INVALID_INPUT', `OCI namespace ${JSON.stringify(opts.namespace)} is not a valid repository path`);
  const client = createOciClient(opts);
  const blobsRepo = `${namespace}/blobs`;
  const scopeOf = (repo: string, actions = 'pull,push') => `repository:${repo}:${actions}`;

  async function fail(res: IncomingMessage, what: string): Promise<never> {
    const { codes, message } = await registryError(res);
    if (codes.includes('DIGEST_INVALID')) throw new AppError('DIGEST_MISMATCH', `the registry refused ${what}: ${message}`);
    if (codes.includes('SIZE_INVALID')) throw new AppError('SIZE_MISMATCH', `the registry refused ${what}: ${message}`);
    if (res.statusCode === 401 || res.statusCode === 403) throw new AppError('FORBIDDEN', `the registry refused ${what}: ${message}`);
    if (res.statusCode === 507 || res.statusCode === 413) throw new AppError('INSUFFICIENT_STORAGE', `the registry has no room for ${what}: ${message}`);
    throw new AppError('ADAPTER_UNAVAILABLE', `the registry failed ${what}: ${message}`, { status: res.statusCode });
  }

  /** Starts an upload session in `repo`; returns its URL. With `mount`, 201 means already there. */
  async function startUpload(repo: string, mount?: { digest: Digest; from: string }): Promise<{ location: string; mounted: boolean }> {
    const query = mount ? `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}` : '';
    const res = await client.request({ method: 'POST', target: `/v2/${repo}/blobs/uploads/${query}`, headers: { 'content-length': 0 }, scope: scopeOf(repo) });
    if (res.statusCode === 201) {
      res.resume();
      return { location: '', mounted: true };
    }
    if (res.statusCode !== 202 || !res.headers.location) return fail(res, `starting an upload to ${repo}`);
    res.resume();
    return { location: res.headers.location, mounted: false };
  }

  async function cancel(location: string, repo: string): Promise<void> {
    const res = await client.request({ method: 'DELETE', target: location, scope: scopeOf(repo) }).catch(() => null);
    res?.resume();
  }

  const withDigest = (location: string, digest: Digest) => `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;

  /** Streams `body` through the verifier into `repo`, committing only when size and digest match. */
  async function upload(repo: string, digest: Digest, body: Readable, size: number): Promise<void> {
    const { location } = await startUpload(repo);
    const verifier = new VerifyingStream(digest, size);
    try {
      // The verifier sits between the caller's stream and the socket: too many bytes, or a caller
      // stream that breaks, destroy the PATCH request, and the upload session is cancelled below.
      const patched = client.request({
        method: 'PATCH',
        target: location,
        headers: { 'content-type': 'application/octet-stream' },
        body: verifier,
        scope: scopeOf(repo),
      });
      const streamed = pipeline(body, verifier);
      streamed.catch(() => undefined);
      const res = await patched;
      if (res.statusCode !== 202) {
        body.destroy();
        return await fail(res, `the bytes of ${digest}`);
      }
      res.resume();
      await streamed;
      verifier.verify();
      const done = await client.request({
        method: 'PUT',
        target: withDigest(res.headers.location ?? location, digest),
        headers: { 'content-length': 0 },
        scope: scopeOf(repo),
      });
      if (done.statusCode !== 201) return await fail(done, `committing ${digest}`);
      done.resume();
    } catch (err) {
      await cancel(location, repo);
      throw isAppError(err) ? err : new AppError('ADAPTER_UNAVAILABLE', `upload of ${digest} to the registry failed: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  async function put(digest: Digest, body: Readable, size: number): Promise<void> {
    checkDigest(digest);
    await upload(blobsRepo, digest, body, size);
  }

  async function head(digest: Digest): Promise<{ size: number } | null> {
    checkDigest(digest);
    const res = await client.request({ method: 'HEAD', target: `/v2/${blobsRepo}/blobs/${digest}`, scope: scopeOf(blobsRepo, 'pull') });
    res.resume();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) return fail(res, `looking up ${digest}`);
    return { size: Number(res.headers['content-length']) };
  }

  async function get(digest: Digest, range?: ByteRange): Promise<Readable> {
    checkDigest(digest);
    const res = await client.request({
      method: 'GET',
      target: `/v2/${blobsRepo}/blobs/${digest}`,
      headers: range ? { range: `bytes=${range.start}-${range.end}` } : {},
      scope: scopeOf(blobsRepo, 'pull'),
    });
    if (res.statusCode === 404) {
      res.resume();
      throw new AppError('NOT_FOUND', `blob ${digest} not found`, { digest });
    }
    if (res.statusCode !== (range ? 206 : 200)) return fail(res, `reading ${digest}`);
    return res;
  }

  /** Unlinks the blob from the blob repository; the registry's own GC reclaims the bytes. */
  async function remove(digest: Digest): Promise<void> {
    checkDigest(digest);
    const res = await client.request({ method: 'DELETE', target: `/v2/${blobsRepo}/blobs/${digest}`, scope: scopeOf(blobsRepo, 'delete') });
    if (res.statusCode === 202 || res.statusCode === 404) {
      res.resume();
      return;
    }
    return fail(res, `deleting ${digest} (is storage.delete enabled in the registry?)`);
  }

  async function publishVersion(a: VersionArtifact): Promise<string> {
    if (!REPO_RE.test(a.slug)) throw new AppError('INVALID_INPUT', `slug ${a.slug} is not a valid OCI repository name`);
    const repo = `${namespace}/${a.slug}`;
    const built = buildManifest(a);
    for (const f of a.files) {
      const { location, mounted } = await startUpload(repo, { digest: f.digest, from: blobsRepo });
      if (mounted) continue;
      // The registry does not mount across repositories (or not for this caller): copy the bytes.
      await cancel(location, repo);
      await upload(repo, f.digest, await get(f.digest), f.size);
    }
    await upload(repo, built.configDigest, Readable.from([built.config]), built.config.length);
    const res = await client.request({
      method: 'PUT',
      target: `/v2/${repo}/manifests/${tagOf(a.version)}`,
      headers: { 'content-type': MANIFEST_MEDIA_TYPE, 'content-length': built.manifest.length },
      body: built.manifest,
      scope: scopeOf(repo),
    });
    if (res.statusCode !== 201) return fail(res, `the manifest of ${a.slug}@${a.version}`);
    res.resume();
    return `oci://${client.host}/${repo}:${tagOf(a.version)}@${built.manifestDigest}`;
  }

  return {
    kind: 'oci',
    put,
    get,
    head,
    delete: remove,
    location: (digest) => `oci://${client.host}/${blobsRepo}@${digest}`,
    publishVersion,
  };
}
