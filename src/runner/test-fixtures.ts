/**
 * Test-only helpers for the runner's tests: the demo models written once per test file into a
 * temp folder, and runners with short timeouts whose children are stopped after the file.
 * Nothing in the runner imports this module (tsconfig.build.json leaves it out of dist).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll } from 'vitest';
import { generateTextClassifier, generateTinyGguf } from '../demo-models/index.js';
import { createLocalRunner, type LocalRunnerOptions } from './supervisor.js';
import type { EndpointSpec, LocalRunner } from './types.js';

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestModels {
  dir: string;
  classifierPath: string;
  labels: string[];
  ggufPath: string;
}

export function writeTestModels(): TestModels {
  const dir = tempDir('garden-runner-');
  const classifier = generateTextClassifier();
  const classifierPath = path.join(dir, 'router.onnx');
  writeFileSync(classifierPath, classifier.onnx);
  const ggufPath = path.join(dir, 'tiny.gguf');
  writeFileSync(ggufPath, generateTinyGguf());
  return { dir, classifierPath, labels: classifier.labels, ggufPath };
}

/** A runner with test-sized timeouts; every runner made here is closed after the file. */
export function testRunner(logDir: string, over: Partial<LocalRunnerOptions> = {}): LocalRunner {
  const runner = createLocalRunner({
    logDir,
    logger: pino({ level: 'silent' }),
    startTimeoutMs: 15_000,
    healthIntervalMs: 200,
    hangAfterMs: 1_000,
    stopGraceMs: 2_000,
    ...over,
  });
  afterAll(() => runner.close());
  return runner;
}

let n = 0;
export function onnxSpec(models: TestModels, over: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    id: `onnx-${process.pid}-${++n}`,
    modelName: 'router',
    modelVersion: '1',
    format: 'onnx',
    modelPath: models.classifierPath,
    memoryMb: 400,
    ...over,
  };
}

export function ggufSpec(models: TestModels, over: Partial<EndpointSpec> = {}): EndpointSpec {
  return {
    id: `gguf-${process.pid}-${++n}`,
    modelName: 'tiny',
    modelVersion: '1',
    format: 'gguf',
    modelPath: models.ggufPath,
    memoryMb: 1024,
    ...over,
  };
}

/** POSTs a raw body and returns status and parsed JSON (loosely typed: tests probe error shapes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function post(url: string, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: await res.json() };
}
