/**
 * Which suites the platform runs by itself when a version is submitted: automatic ones with a
 * dataset, for one of the model's tasks, when the version has a file the local runner serves.
 * The workflow counts them as the benchmark a submission needs; the evaluation service queues them.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../core/db/index.js';
import { LOCAL_FORMATS, servedFile } from '../deploy/model-files.js';

export async function automaticSuitesFor(q: Db | Tx, versionId: number): Promise<string[]> {
  const file = await servedFile(q, versionId);
  if (!file || !LOCAL_FORMATS.has(file.format)) return [];
  const rows = await queryRows<{ name: string }>(
    q,
    sql`SELECT s.name FROM evaluation_suites s JOIN model_versions v ON v.id = ${versionId} JOIN models m ON m.id = v.model_id
         WHERE s.automatic AND s.dataset_digest IS NOT NULL AND s.task = ANY(m.tasks) ORDER BY s.name`,
  );
  return rows.map((r) => r.name);
}
