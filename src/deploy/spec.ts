/**
 * Deployment as code: the `deployment.yaml` a team commits next to its service. `garden deploy -f`
 * validates and applies it, `--dry-run` prints the manifests for a GitOps pull request, and
 * `garden smoke-test -f` checks the running deployment against its smoke inputs.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { TemplateName, TemplateOverrides } from './template-schema.js';

export const ModelRef = z.string().regex(/^[a-z0-9][a-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.+_-]*$/, 'MODEL@VERSION, e.g. sentiment-small@1.2.0');

/** Control characters, line breaks and bidirectional overrides: nothing a manifest or a log line should carry from free text. */
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
/**
 * Free text that ends up in manifests (annotations), audit events and logs: one line of
 * printable characters, so it cannot forge a log line or a second YAML key.
 */
export const SingleLine = (max: number) => z.string().max(max).refine((s) => !UNPRINTABLE.test(s), 'must be one line without control characters');

/** A team slug, as teams are named (it becomes a label value and part of a production name). */
export const DeploymentTeam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a team slug: lowercase letters, digits and "-"');

export const DeploymentSpec = z.strictObject({
  apiVersion: z.literal('garden/v1').optional(),
  kind: z.literal('Deployment').optional(),
  model: ModelRef,
  template: TemplateName,
  team: DeploymentTeam,
  useCase: SingleLine(200).min(1),
  environment: z.enum(['evaluation', 'production']).default('production'),
  engine: z.enum(['local', 'kserve', 'seldon']).optional(),
  description: SingleLine(2000).optional(),
  overrides: TemplateOverrides.optional(),
  smoke: z
    .strictObject({
      /** Inputs sent one by one; each must answer without error. */
      inputs: z.array(z.string().min(1)).min(1).max(100),
      /** Optional expected outputs, position by position (a classifier's labels, say). */
      expect: z.array(z.string()).optional(),
      /** Overrides the template's latency target (p95, milliseconds). */
      latencyTargetMs: z.number().int().min(1).optional(),
    })
    .optional(),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

export function splitModelRef(ref: string): { slug: string; version: string } {
  const at = ref.lastIndexOf('@');
  return { slug: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** Parses deployment.yaml text; every problem is listed with its path. */
export function parseDeploymentSpec(text: string): DeploymentSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new AppError('INVALID_INPUT', `deployment.yaml is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = DeploymentSpec.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
    throw new AppError('INVALID_INPUT', `deployment.yaml: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  }
  if (parsed.data.smoke?.expect && parsed.data.smoke.expect.length !== parsed.data.smoke.inputs.length) {
    throw new AppError('INVALID_INPUT', 'deployment.yaml: smoke.expect must have one entry per smoke input', { errors: [{ path: 'smoke.expect', message: 'one entry per input' }] });
  }
  return parsed.data;
}
