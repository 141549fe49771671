/** Picks the ArtifactStore adapter the configuration names. */
import path from 'node:path';
import type { Config } from '../../core/config.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { createFsStore } from './fs-store.js';
import { createOciStore } from './oci-store.js';

export type StoreConfig = Config['store'];

export async function createArtifactStore(cfg: StoreConfig | undefined, dataDir: string): Promise<ArtifactStore> {
  if (cfg?.kind === 'oci' && cfg.oci) return createOciStore(cfg.oci);
  if (cfg?.kind === 's3' && cfg.s3) {
    // Loaded only when used: the AWS SDK is large.
    const { createS3Store } = await import('./s3-store.js');
    return createS3Store(cfg.s3);
  }
  return createFsStore({ root: path.join(dataDir, 'blobs') });
}
