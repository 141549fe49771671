import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../core/paths.js';
import { isAppError } from '../core/errors.js';
import { endpointName } from './naming.js';
import { parseDeploymentSpec } from './spec.js';
import { BUILT_IN_TEMPLATES, resolveSettings } from './template-schema.js';

const errorsOf = (text: string) => {
  try {
    parseDeploymentSpec(text);
  } catch (err) {
    if (isAppError(err)) return (err.details?.errors as { path: string }[]).map((e) => e.path);
  }
  return [];
};

describe('deployment.yaml', () => {
  it('the shipped example parses, with production as the default environment', () => {
    const spec = parseDeploymentSpec(readFileSync(path.join(ROOT, 'examples/deployment.yaml'), 'utf8'));
    expect(spec).toMatchObject({ model: 'support-ticket-router@1.0.0', template: 'low-latency', environment: 'production', smoke: { expect: ['billing', 'shipping', 'account'] } });
    expect(parseDeploymentSpec('model: a@1.0.0\ntemplate: batch\nteam: t\nuseCase: u\n').environment).toBe('production');
  });

  it('names every problem with its path', () => {
    expect(errorsOf('model: no-version\ntemplate: batch\nteam: t\nuseCase: u\nextra: 1\noverrides: { autoscaling: { maxReplica: 3 } }\n').sort()).toEqual(['(root)', 'model', 'overrides.autoscaling'].sort());
    expect(errorsOf('model: a@1.0.0\ntemplate: batch\nteam: t\nuseCase: u\nsmoke: { inputs: [x, y], expect: [a] }\n')).toEqual(['smoke.expect']);
    expect(() => parseDeploymentSpec('model: [unclosed')).toThrow(/not valid YAML/);
  });

  it('refuses labels that are not Kubernetes labels and multi-line free text, naming the path', () => {
    const base = 'model: a@1.0.0\ntemplate: batch\nteam: t\n';
    expect(errorsOf(`${base}useCase: u\noverrides:\n  labels:\n    tier: "gold\\nowner: mallory"\n`)).toEqual(['overrides.labels.tier']);
    expect(errorsOf(`${base}useCase: u\noverrides:\n  labels:\n    "bad key": x\n`)).toEqual(['overrides.labels.bad key']);
    expect(errorsOf(`${base}useCase: "u\\nlevel: error"\ndescription: "a\\u0000b"\n`).sort()).toEqual(['description', 'useCase']);
    expect(errorsOf(`${base}useCase: |\n  two\n  lines\n`)).toEqual(['useCase']);
    expect(errorsOf(`${base}useCase: u\noverrides:\n  labels: { example.com/tier: gold, empty: "" }\n`)).toEqual([]);
  });

  it('the example CI workflow is valid YAML running dry-run, smoke-test and deploy', () => {
    const wf = parse(readFileSync(path.join(ROOT, 'docs/ci/github-actions-deploy.yml'), 'utf8'));
    const runs = JSON.stringify(wf.jobs.deployment.steps);
    for (const cmd of ['garden deploy -f', '--dry-run', 'garden smoke-test -f']) expect(runs).toContain(cmd);
  });
});

describe('templates and names', () => {
  it('overrides merge one level deep and leave the template alone', () => {
    const base = BUILT_IN_TEMPLATES[0]!.settings;
    const merged = resolveSettings(base, { autoscaling: { maxReplicas: 9 }, labels: { tier: 'gold' } });
    expect(merged.autoscaling).toEqual({ ...base.autoscaling, maxReplicas: 9 });
    expect(merged.labels).toEqual({ ...base.labels, tier: 'gold' });
    expect(base.autoscaling.maxReplicas).toBe(4);
  });

  it('endpoint names are DNS-1035 labels of at most 40 characters', () => {
    const n = endpointName('0f9c2a77-1111-4222-8333-444455556666', 'Very_Long.Model-Name-That-Goes-On-And-On-Forever');
    expect(n).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(n.length).toBeLessThanOrEqual(40);
    expect(n.startsWith('mg-0f9c2a77-')).toBe(true);
  });
});
