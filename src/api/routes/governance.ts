/** The submission workflow, review queues, evaluation suites and the use policy check. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SemVer, Slug, VersionView } from '../../catalog/index.js';
import type { SubmissionView } from '../../governance/index.js';
import type { Actor } from '../../identity/index.js';
import { SingleLine } from '../../deploy/index.js';

interface StepRequest<B> {
  actor: Actor;
  params: { slug: string; version: string };
  body: B;
}

const VersionParams = z.object({ slug: Slug, version: SemVer }).strict();
const STAGES = ['checks', 'awaiting_ack', 'awaiting_signoff', 'awaiting_approval', 'approved', 'rejected'] as const;
const Submission = z.object({
  slug: z.string(),
  version: z.string(),
  ownerTeam: z.string(),
  lifecycle: z.string(),
  stage: z.enum(STAGES),
  evaluationOnly: z.boolean(),
  submittedBy: z.string().nullable(),
  submittedAt: z.string(),
  scanVerdict: z.string().nullable(),
  signedOffBy: z.string().nullable(),
  approvedBy: z.string().nullable(),
  rejectReason: z.string().nullable(),
  next: z.array(z.string()),
});
const Comment = z.object({ comment: z.string().max(4000).optional() }).strict();

export const governanceRoutes: FastifyPluginAsyncZod = async (app) => {
  const { workflow, catalog, audit, suites, useCheck } = app.services;
  const base = '/models/:slug/versions/:version';
  /** One workflow step: POST …/versions/:version/<path>, answered with the submission's new state. */
  const step = <B extends z.ZodType>(path: string, summary: string, body: B, run: (req: StepRequest<z.infer<B>>) => Promise<SubmissionView>) =>
    app.post(`${base}/${path}`, { schema: { tags: ['governance'], summary, params: VersionParams, body, response: { 200: Submission } } }, async (req) =>
      run({ actor: req.actor, params: req.params, body: req.body as z.infer<B> }),
    );

  step('submit', 'Submit a draft for review (card complete, files committed, a benchmark on a registered suite); queues the security scan', z.object({ evaluationOnly: z.boolean().optional() }).strict(), (req) =>
    workflow.submit(req.actor, req.params.slug, req.params.version, { evaluationOnly: req.body.evaluationOnly ?? false }),
  );
  step('acknowledge', 'Accept the scan’s warnings with a comment (platform reviewers)', z.object({ comment: z.string().min(1).max(4000) }).strict(), (req) =>
    workflow.acknowledge(req.actor, req.params.slug, req.params.version, req.body.comment),
  );
  step('sign-off', 'Team-lead sign-off (not by the submitter)', Comment, (req) => workflow.signOff(req.actor, req.params.slug, req.params.version, req.body.comment));
  step('approve', 'Platform approval (neither the submitter nor the signer)', Comment, (req) => workflow.approve(req.actor, req.params.slug, req.params.version, req.body.comment));
  step('reject', 'Reject with a reason (platform reviewers; the team lead at sign-off)', z.object({ reason: z.string().min(1).max(4000) }).strict(), (req) =>
    workflow.reject(req.actor, req.params.slug, req.params.version, req.body.reason),
  );
  step('promote', 'Promote a validated version to production (named SLA owner, a production deployment)', z.object({ slaOwner: z.string().min(1).max(200) }).strict(), (req) =>
    workflow.promote(req.actor, req.params.slug, req.params.version, req.body.slaOwner),
  );

  app.post(
    `${base}/benchmarks/:id/accept`,
    {
      schema: {
        tags: ['governance'],
        summary: 'Accept a benchmark result the team reported, so it counts for the submission (platform reviewers; not whoever typed it)',
        params: z.object({ slug: Slug, version: SemVer, id: z.coerce.number().int().positive().max(2 ** 31 - 1) }).strict(),
        body: Comment,
        response: { 200: VersionView },
      },
    },
    async (req) => {
      await workflow.acceptReportedBenchmark(req.actor, req.params.slug, req.params.version, req.params.id, req.body.comment ?? '');
      return catalog.getVersion(req.actor, req.params.slug, req.params.version);
    },
  );

  app.get(`${base}/submission`, { schema: { tags: ['governance'], summary: 'Where the review of this version stands', params: VersionParams, response: { 200: Submission } } }, async (req) =>
    workflow.get(req.actor, req.params.slug, req.params.version),
  );

  app.get(`${base}/scan-report`, { schema: { tags: ['governance'], summary: 'The security scan, file by file', params: VersionParams } }, async (req) => ({
    items: await workflow.scanReport(req.actor, req.params.slug, req.params.version),
  }));

  app.get(`${base}/history`, { schema: { tags: ['governance'], summary: 'Who did what, when and why to this version', params: VersionParams } }, async (req) => {
    await catalog.getVersion(req.actor, req.params.slug, req.params.version);
    return { items: await audit.versionHistory(req.actor, req.params.slug, req.params.version) };
  });

  app.get('/reviews/queue', { schema: { tags: ['governance'], summary: 'What waits for you (sign-offs, acknowledgements, approvals) and your teams’ submissions' } }, async (req) => workflow.queue(req.actor));

  app.post(
    `${base}/policy-check`,
    {
      schema: {
        tags: ['governance'],
        summary: 'Would this use be allowed? (the check deployments run first; the decision is audited)',
        params: VersionParams,
        body: z.object({ purpose: z.enum(['evaluation', 'deployment']), useCase: SingleLine(500).optional(), description: SingleLine(2000).optional() }).strict(),
      },
    },
    async (req) => useCheck(req.actor, req.params.slug, req.params.version, req.body),
  );

  app.get('/suites', { schema: { tags: ['governance'], summary: 'Registered evaluation suites' } }, async (req) => ({ items: await suites.list(req.actor) }));

  app.post(
    '/suites',
    {
      schema: {
        tags: ['governance'],
        summary: 'Register an evaluation suite (admins); with a dataset (JSON lines) the platform can run it',
        body: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/), task: z.string().min(1).max(100), description: z.string().max(2000).optional(), metrics: z.array(z.string().min(1).max(50)).min(1), automatic: z.boolean().optional(), dataset: z.object({ name: z.string().min(1).max(200), text: z.string().min(1).max(20_000_000) }).strict().optional() }).strict(),
      },
    },
    async (req, reply) => {
      await suites.register(req.actor, req.body);
      return reply.code(201).send();
    },
  );
};
