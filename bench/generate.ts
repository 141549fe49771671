/**
 * Generates N synthetic catalog entries inside the database with set-based SQL (a 100k catalog
 * loads in seconds), then refreshes head versions and search documents in one statement.
 * Names, tasks, languages and hardware are drawn deterministically from word lists.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../src/core/db/index.js';
import { refreshModels } from '../src/catalog/repo.js';

const WORDS = ['legal', 'contract', 'invoice', 'support', 'ticket', 'clinical', 'radiology', 'finance', 'risk', 'fraud', 'code', 'review', 'search', 'retrieval', 'speech', 'call', 'vision', 'defect', 'document', 'layout', 'translation', 'policy', 'security', 'threat', 'resume', 'claims', 'email', 'chat', 'assistant', 'summary', 'entity', 'sentiment', 'toxicity', 'product', 'catalog', 'energy', 'sensor', 'maintenance', 'logistics', 'marketing'];
const TASKS = ['text-generation', 'summarization', 'token-classification', 'automatic-speech-recognition', 'feature-extraction', 'text-ranking', 'translation', 'image-classification', 'object-detection', 'document-question-answering', 'text-classification', 'question-answering'];
const DOMAINS = ['general', 'legal', 'finance', 'healthcare', 'customer-support', 'engineering', 'hr', 'security', 'retail', 'manufacturing'];
const LANGS = ['en', 'de', 'fr', 'es', 'ja', 'zh', 'it', 'pt', 'nl', 'ko'];
const LICENSES = ['apache-2.0', 'mit', 'llama3.1', 'cc-by-4.0', 'proprietary', 'bsd-3-clause'];
const FRAMEWORKS = ['vllm', 'transformers', 'onnxruntime', 'llama.cpp', 'tensorrt-llm', 'triton'];

const arr = (xs: string[]) => sql.raw(`ARRAY[${xs.map((x) => `'${x}'`).join(',')}]::text[]`);

export async function generateCatalog(db: Db, n: number): Promise<void> {
  await db.execute(sql`INSERT INTO teams (slug, name) SELECT 'bench-team-' || g, 'Bench team ' || g FROM generate_series(1, 40) g ON CONFLICT DO NOTHING`);
  await db.execute(sql`
    INSERT INTO models (slug, name, owner_team_id, description, tasks, domains, tags)
    SELECT 'gen-' || w.a || '-' || w.b || '-' || i,
           initcap(w.a) || ' ' || initcap(w.b) || ' ' || (ARRAY['Base','Large','Small','Instruct','Lite','Pro'])[1 + i % 6] || ' ' || i,
           (SELECT id FROM teams WHERE slug = 'bench-team-' || (1 + i % 40)),
           'A ' || w.b || ' model for ' || w.d || ' teams: handles ' || w.a || ' and ' || w.c || ' workloads on internal data.',
           ARRAY[w.t], ARRAY[w.d], ARRAY[w.a, w.c]
      FROM generate_series(1, ${n}) i,
           LATERAL (SELECT (${arr(WORDS)})[1 + (i * 7) % ${WORDS.length}] AS a,
                           (${arr(WORDS)})[1 + (i * 13 + 5) % ${WORDS.length}] AS b,
                           (${arr(WORDS)})[1 + (i * 17 + 3) % ${WORDS.length}] AS c,
                           (${arr(DOMAINS)})[1 + (i * 3) % ${DOMAINS.length}] AS d,
                           (${arr(TASKS)})[1 + (i * 11) % ${TASKS.length}] AS t) w`);
  await db.execute(sql`
    INSERT INTO model_versions (model_id, version, version_sort, languages, license, parameters, architecture,
      context_length, recommended_gpu, cpu_inference, ram_gb, min_gpu_memory_gb, formats, frameworks, quantizations,
      intended_use, limitations, training_data, card_markdown, compliance_status, approved_use_cases, restrictions,
      maturity, lifecycle, updated_at)
    SELECT m.id, '1.' || (m.id % 5) || '.0', lpad('1', 10, '0') || '.' || lpad((m.id % 5)::text, 10, '0') || '.' || lpad('0', 10, '0') || '~',
           ARRAY[(${arr(LANGS)})[1 + m.id % ${LANGS.length}], (${arr(LANGS)})[1 + (m.id / 7) % ${LANGS.length}]],
           (${arr(LICENSES)})[1 + m.id % ${LICENSES.length}],
           (ARRAY[110000000, 350000000, 1500000000, 7000000000, 13000000000, 70000000000])[1 + m.id % 6]::bigint,
           'BenchArchitecture',
           (ARRAY[512, 2048, 8192, 32768, 131072])[1 + m.id % 5],
           (ARRAY['NVIDIA T4','NVIDIA L4','NVIDIA A10','NVIDIA A100 40GB','NVIDIA H100 80GB'])[1 + m.id % 5],
           m.id % 3 = 0, 4 + m.id % 60,
           (ARRAY[0.5, 1.2, 4.1, 9.5, 17.5, 40, 80])[1 + m.id % 7],
           ARRAY['safetensors'], ARRAY[(${arr(FRAMEWORKS)})[1 + m.id % ${FRAMEWORKS.length}]], ARRAY['fp16', 'int8'],
           'Internal ' || m.description, 'Evaluated on internal suites only.', 'Internal data.',
           '## Overview\n' || m.description, 'approved', ARRAY['internal use'], ARRAY[]::text[],
           (ARRAY['experimental','validated','production'])[1 + m.id % 3],
           CASE WHEN m.id % 17 = 0 THEN 'deprecated' ELSE 'approved' END,
           now() - ((m.id % 365) || ' days')::interval
      FROM models m
     WHERE m.slug LIKE 'gen-%' AND NOT EXISTS (SELECT 1 FROM model_versions v WHERE v.model_id = m.id)`);
  await db.execute(sql`
    INSERT INTO gpu_requirements (version_id, quantization, min_gpu_memory_gb)
    SELECT v.id, q.q, v.min_gpu_memory_gb * q.f
      FROM model_versions v JOIN models m ON m.id = v.model_id,
           (VALUES ('fp16', 2.0), ('int8', 1.0)) q(q, f)
     WHERE m.slug LIKE 'gen-%'
    ON CONFLICT DO NOTHING`);
  await refreshModels(db, 'all');
  await db.execute(sql`VACUUM ANALYZE`);
}
