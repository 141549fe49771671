import { describe, expect, it } from 'vitest';
import { ConfigError, loadClientConfig, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the embedded defaults with no environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', demo: true, db: {} });
    expect(c.dataDir).toMatch(/\.garden$/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the environment, and flags override it', () => {
    const c = loadConfig({ GARDEN_PORT: '9000', GARDEN_DATABASE_URL: 'postgres://u@h/db', GARDEN_DEMO: 'false' }, { port: 9100 });
    expect(c).toMatchObject({ port: 9100, db: { url: 'postgres://u@h/db' }, demo: false });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ GARDEN_PORT: 'eighty', GARDEN_DATABASE_URL: 'not a url', GARDEN_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['port', 'db.url', 'logLevel']);
    }
  });

  it('chooses the artifact store from the environment, and says what a chosen store is missing', () => {
    expect(loadConfig({}).store).toMatchObject({ kind: 'fs', maxFileGb: 200 });
    expect(loadConfig({ GARDEN_STORE: 'oci', GARDEN_OCI_URL: 'http://127.0.0.1:5000' }).store).toEqual({
      kind: 'oci',
      maxFileGb: 200,
      uploadTtlHours: 24,
      oci: { url: 'http://127.0.0.1:5000', namespace: 'model-garden' },
    });
    const s3 = loadConfig({ GARDEN_STORE: 's3', GARDEN_S3_BUCKET: 'models', GARDEN_S3_ENDPOINT: 'http://minio:9000', GARDEN_S3_FORCE_PATH_STYLE: 'false' }).store;
    expect(s3.s3).toMatchObject({ bucket: 'models', endpoint: 'http://minio:9000', forcePathStyle: false, region: 'us-east-1' });
    expect(() => loadConfig({ GARDEN_STORE: 'oci' })).toThrow(/GARDEN_OCI_URL/);
    expect(() => loadConfig({ GARDEN_STORE: 'tape' })).toThrow(ConfigError);
  });

  it('rejects a CLI server URL that is not a URL', () => {
    expect(() => loadClientConfig({ GARDEN_URL: 'localhost 8080' })).toThrow(ConfigError);
    expect(loadClientConfig({ GARDEN_URL: 'http://garden:8080/' }).url).toBe('http://garden:8080');
  });
});
