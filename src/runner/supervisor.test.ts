import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { groupMembers, isAlive, readRssMb } from './process-utils.js';
import { createLocalRunner } from './supervisor.js';
import { onnxSpec, testRunner, writeTestModels } from './test-fixtures.js';
import type { EndpointFailure, LocalRunner } from './types.js';
import pino from 'pino';

/** Resolves with the first failure the runner reports. */
function nextFailure(runner: LocalRunner): Promise<EndpointFailure> {
  return new Promise((resolve) => runner.onFailure(resolve));
}

describe('local runner supervision', () => {
  const models = writeTestModels();

  it('kills a child above its memory limit and reports out_of_memory with its log tail', async () => {
    const runner = testRunner(models.dir, { childEnv: { GARDEN_RUNNER_TEST_FAULT: 'leak' } });
    const failed = nextFailure(runner);
    const h = await runner.start(onnxSpec(models, { memoryMb: 300 }));
    const f = await failed;
    expect(f).toMatchObject({ id: h.id, reason: 'out_of_memory' });
    expect(f.message).toMatch(/MB RSS, above its limit of 300 MB/);
    expect(f.logTail.join('\n')).toMatch(/test fault: leak/);
    expect(runner.list()).toEqual([]);
    expect(runner.logs(h.id)).toEqual(f.logTail);
    await expect.poll(() => isAlive(h.pid)).toBe(false);
  });

  it('reports a child whose health probe stops answering as hung and kills it', async () => {
    const runner = testRunner(models.dir, { childEnv: { GARDEN_RUNNER_TEST_FAULT: 'hang' } });
    const failed = nextFailure(runner);
    const h = await runner.start(onnxSpec(models));
    const f = await failed;
    expect(f).toMatchObject({ id: h.id, reason: 'hung' });
    expect(f.logTail.join('\n')).toMatch(/test fault: hang/);
    await expect.poll(() => isAlive(h.pid)).toBe(false);
  });

  it('reports a crash with its exit code, once', async () => {
    const runner = testRunner(models.dir, { childEnv: { GARDEN_RUNNER_TEST_FAULT: 'crash' } });
    const failures: EndpointFailure[] = [];
    runner.onFailure((f) => failures.push(f));
    const h = await runner.start(onnxSpec(models));
    await expect.poll(() => failures.length).toBe(1);
    expect(failures[0]).toMatchObject({ id: h.id, reason: 'crashed' });
    expect(failures[0]!.message).toMatch(/exit code 3/);
    await new Promise((r) => setTimeout(r, 500));
    expect(failures).toHaveLength(1);
  });

  it('rejects start with start_failed when the child exits while loading, or the model is missing', async () => {
    const runner = testRunner(models.dir, { childEnv: { GARDEN_RUNNER_TEST_FAULT: 'start-crash' } });
    await expect(runner.start(onnxSpec(models))).rejects.toMatchObject({
      code: 'ENDPOINT_FAILED',
      details: { reason: 'start_failed', logTail: expect.arrayContaining([expect.stringMatching(/start-crash/)]) },
    });
    const plain = testRunner(models.dir);
    const err = await plain.start(onnxSpec(models, { modelPath: `${models.dir}/missing.onnx` })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENDPOINT_FAILED', details: { reason: 'start_failed' } });
    expect((err as { details: { logTail: string[] } }).details.logTail.join('\n')).toMatch(/start failed/);
    expect(plain.list()).toEqual([]);
  });

  it('rejects start with start_timeout and kills the child', async () => {
    const runner = testRunner(models.dir, { startTimeoutMs: 1_500, childEnv: { GARDEN_RUNNER_TEST_FAULT: 'start-hang' } });
    const spec = onnxSpec(models);
    await expect(runner.start(spec)).rejects.toMatchObject({ code: 'ENDPOINT_FAILED', details: { reason: 'start_timeout' } });
    expect(runner.list()).toEqual([]);
    expect(runner.logs(spec.id).join('\n')).toMatch(/start-hang/);
  });

  it('adopts a running child after a restart, supervises it, and stop() kills it', async () => {
    const first = testRunner(models.dir);
    const spec = onnxSpec(models);
    const h = await first.start(spec);
    // A second supervisor over the same log folder stands for the restarted server.
    const second = createLocalRunner({ logDir: models.dir, logger: pino({ level: 'silent' }), healthIntervalMs: 200, hangAfterMs: 1_000 });
    expect(await second.adopt({ ...spec, modelName: 'someone-else' }, { pid: h.pid, url: h.url })).toBe(false);
    expect(await second.adopt(spec, { pid: h.pid, url: h.url })).toBe(true);
    expect(second.list()).toMatchObject([{ id: spec.id, pid: h.pid, url: h.url }]);
    expect(second.logs(spec.id).join('\n')).toMatch(/listening on/);
    await second.stop(spec.id);
    expect(isAlive(h.pid)).toBe(false);
    expect(second.list()).toEqual([]);
    expect(await second.adopt(spec, { pid: h.pid, url: h.url })).toBe(false);
    await first.stop(spec.id);
  });

  it('reports an adopted process that dies as crashed', async () => {
    const first = testRunner(models.dir);
    const spec = onnxSpec(models);
    const h = await first.start(spec);
    const second = testRunner(models.dir);
    expect(await second.adopt(spec, { pid: h.pid, url: h.url })).toBe(true);
    const failed = nextFailure(second);
    process.kill(-h.pid, 'SIGKILL');
    expect(await failed).toMatchObject({ id: spec.id, reason: 'crashed' });
  });

  it('serves from several workers on one port, counts their memory together, and ends when a worker dies', async () => {
    const runner = testRunner(models.dir);
    const failures: EndpointFailure[] = [];
    runner.onFailure((f) => failures.push(f));
    const h = await runner.start(onnxSpec(models, { workers: 2 }));
    const workers = groupMembers(h.pid);
    expect(workers).toHaveLength(2);
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${h.url}/v2/models/${onnxSpec(models).modelName}/ready`).then((r) => r.status)));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(readRssMb(h.pid, true)!).toBeGreaterThan(workers.reduce((kb, w) => kb + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${w}/status`, 'utf8'))![1]), 0) / 1024);
    process.kill(Number(workers[0]), 'SIGKILL');
    await expect.poll(() => failures.length).toBe(1);
    expect(failures[0]).toMatchObject({ id: h.id, reason: 'crashed' });
    expect(failures[0]!.logTail.join('\n')).toMatch(/worker \d+ died/);
    await expect.poll(() => isAlive(h.pid) || isAlive(Number(workers[1]))).toBe(false);
  });
});
