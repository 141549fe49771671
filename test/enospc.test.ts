/**
 * A disk that fills up mid-upload: the server's data folder on a 4 MB tmpfs. Needs permission to
 * mount (root, as in CI); elsewhere the tier is skipped with a notice.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { createServices } from '../src/api/services.js';
import { createLogger } from '../src/core/logger.js';
import { createTestDatabase, withAuth, type TestDb } from './harness.js';
import { missingService } from './services.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function mountSmallDisk(): string | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'garden-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    missingService('enospc', `cannot mount a small tmpfs to fill up (${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

const disk = mountSmallDisk();

describe.runIf(disk)('a disk that fills up mid-upload', () => {
  let app: FastifyInstance;
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    const token = `test-admin-${'x'.repeat(40)}`;
    const services = await createServices(db.database, { dataDir: disk!, adminToken: token });
    await services.identity.bootstrap();
    app = withAuth(await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' }), token);
    await app.inject({ method: 'POST', url: '/api/v1/models', payload: { slug: 'big', name: 'Big', ownerTeam: 'ml' } });
    await app.inject({ method: 'POST', url: '/api/v1/models/big/versions', payload: { version: '1.0.0' } });
  });
  afterAll(async () => {
    await app?.close();
    await db?.cleanup();
    execFileSync('umount', [disk!]);
    rmSync(disk!, { recursive: true, force: true });
  });

  it('answers 507 INSUFFICIENT_STORAGE, gives the space back, and shows nothing of the file', async () => {
    const file = randomBytes(6 * 1024 * 1024);
    const { id } = (
      await app.inject({ method: 'POST', url: '/api/v1/models/big/versions/1.0.0/uploads', payload: { path: 'model.gguf', digest: digestOf(file), size: file.length } })
    ).json<{ id: string }>();
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/uploads/${id}`,
      headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      payload: file,
    });
    expect(res.statusCode).toBe(507);
    expect(res.json().error.code).toBe('INSUFFICIENT_STORAGE');
    expect(readdirSync(path.join(disk!, 'uploads'))).toEqual([]);
    expect((await app.inject(`/api/v1/uploads/${id}`)).json()).toMatchObject({ offset: 0, complete: false });
    expect((await app.inject({ method: 'POST', url: '/api/v1/models/big/versions/1.0.0/files/commit' })).json().error.code).toBe('CONFLICT');
    expect((await app.inject('/api/v1/models/big/versions/1.0.0/files')).json().items).toEqual([]);

    // A file that fits still goes through afterwards.
    const small = randomBytes(512 * 1024);
    const s = (
      await app.inject({ method: 'POST', url: '/api/v1/models/big/versions/1.0.0/uploads', payload: { path: 'model.gguf', digest: digestOf(small), size: small.length } })
    ).json<{ id: string }>();
    const ok = await app.inject({
      method: 'PATCH',
      url: `/api/v1/uploads/${s.id}`,
      headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      payload: small,
    });
    expect(ok.json()).toMatchObject({ complete: true });
  });
});
