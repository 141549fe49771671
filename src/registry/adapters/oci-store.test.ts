import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, inject, it } from 'vitest';
import { artifactStoreContract, digestOf } from '../artifact-store.contract.js';
import { missingService } from '../../../test/services.js';
import { createOciStore } from './oci-store.js';
import { MODEL_ARTIFACT_TYPE } from './oci-manifest.js';

const url = inject('ociUrl');
const namespace = () => `test-${randomBytes(4).toString('hex')}`;

if (!url) {
  describe.skip('OCI registry store (no registry)', () => it('skipped', () => undefined));
} else {
  artifactStoreContract('OCI registry (docker-registry)', async () => ({ store: createOciStore({ url, namespace: namespace() }) }));

  describe('OCI registry store: a version as an OCI image manifest', () => {
    it('publishes one manifest per version that standard OCI clients read, with every file path annotated', async () => {
      const ns = namespace();
      const store = createOciStore({ url, namespace: ns });
      const files = [
        { path: 'config.json', body: Buffer.from('{"model_type":"llama"}') },
        { path: 'model-00001-of-00002.safetensors', body: randomBytes(70_000) },
        { path: 'nested/tokenizer.json', body: Buffer.from('{"version":"1.0"}') },
      ];
      for (const f of files) await store.put(digestOf(f.body), Readable.from([f.body]), f.body.length);
      const ref = await store.publishVersion!({
        slug: 'tiny-llama',
        version: '1.2.0+build.7',
        files: files.map((f) => ({ path: f.path, digest: digestOf(f.body), size: f.body.length, format: f.path.endsWith('.json') ? 'config' : 'safetensors' })),
        info: { title: 'Tiny Llama', licenses: ['Apache-2.0'] },
      });
      const host = new URL(url).host;
      expect(ref).toMatch(new RegExp(`^oci://${host}/${ns}/tiny-llama:1\\.2\\.0_build\\.7@sha256:[0-9a-f]{64}$`));

      // Read back through the plain Distribution API, as any OCI client does.
      const res = await fetch(`${url}/v2/${ns}/tiny-llama/manifests/1.2.0_build.7`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(ref.split('@')[1]);
      const manifest = (await res.json()) as { artifactType: string; layers: { digest: string; annotations: Record<string, string> }[] };
      expect(manifest.artifactType).toBe(MODEL_ARTIFACT_TYPE);
      expect(manifest.layers.map((l) => l.annotations['org.cncf.model.filepath'])).toEqual(files.map((f) => f.path));
      // Mounted into the version's repository: its blobs are served from there too.
      const blob = await fetch(`${url}/v2/${ns}/tiny-llama/blobs/${manifest.layers[1]!.digest}`);
      expect(Buffer.from(await blob.arrayBuffer()).equals(files[1]!.body)).toBe(true);

      // Publishing again is idempotent: same content, same digest.
      const again = await store.publishVersion!({
        slug: 'tiny-llama',
        version: '1.2.0+build.7',
        files: files.map((f) => ({ path: f.path, digest: digestOf(f.body), size: f.body.length, format: f.path.endsWith('.json') ? 'config' : 'safetensors' })),
        info: { title: 'Tiny Llama', licenses: ['Apache-2.0'] },
      });
      expect(again).toBe(ref);
    });

    it('is pulled whole by skopeo, a standard OCI tool', async () => {
      if (!existsSync('/usr/bin/skopeo')) {
        missingService('oci-skopeo', 'skopeo is not installed (apt-get install skopeo)');
        return;
      }
      const ns = namespace();
      const store = createOciStore({ url, namespace: ns });
      const weights = randomBytes(50_000);
      await store.put(digestOf(weights), Readable.from([weights]), weights.length);
      await store.publishVersion!({ slug: 'pulled', version: '2.0.0', files: [{ path: 'model.gguf', digest: digestOf(weights), size: weights.length, format: 'gguf' }], info: {} });
      const out = mkdtempSync(path.join(tmpdir(), 'garden-skopeo-'));
      const host = new URL(url).host;
      execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/${ns}/pulled:2.0.0`, `oci:${out}:pulled`], { stdio: 'pipe' });
      const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      const manifestFile = path.join(out, 'blobs/sha256', index.manifests[0]!.digest.slice(7));
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { layers: { digest: string; annotations: Record<string, string> }[] };
      expect(manifest.layers[0]!.annotations['org.opencontainers.image.title']).toBe('model.gguf');
      expect(readFileSync(path.join(out, 'blobs/sha256', manifest.layers[0]!.digest.slice(7))).equals(weights)).toBe(true);
    });
  });
}
