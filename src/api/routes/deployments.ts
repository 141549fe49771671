/** Deployments, evaluation endpoints, templates, limits, the playground and side-by-side comparison. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SemVer, Slug } from '../../catalog/index.js';
import { DeploymentSpec, DeploymentTeam, StoredDeploymentTemplate, DeploymentView, DryRunView, EvalLimits, TeamQuota, TemplateName, TemplateSettings } from '../../deploy/index.js';
import { ChatStreamRequest, CompareRequest, CompareView, TryRequest, TryView } from '../../deploy/playground.js';

const Id = z.object({ id: z.string().uuid() }).strict();
const TemplateViewSchema = StoredDeploymentTemplate.extend({ builtIn: z.boolean(), updatedAt: z.string() });
const CreateBody = DeploymentSpec.extend({ wait: z.boolean().optional() });

export const deploymentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { deployments, templates, limits, playground } = app.services;
  const tags = ['deployments'];

  app.get('/deployment-templates', { schema: { tags, summary: 'Deployment templates (resources, health checks, autoscaling, timeouts, labels)', response: { 200: z.array(TemplateViewSchema) } } }, async (req) => templates.list(req.actor));
  app.get('/deployment-templates/:name', { schema: { tags, summary: 'One deployment template', params: z.object({ name: TemplateName }), response: { 200: TemplateViewSchema } } }, async (req) => templates.get(req.actor, req.params.name));
  app.put(
    '/deployment-templates/:name',
    { schema: { tags, summary: 'Create or replace a template (admins)', params: z.object({ name: TemplateName }), body: z.object({ description: z.string().max(500), settings: TemplateSettings }).strict(), response: { 200: TemplateViewSchema } } },
    async (req) => templates.put(req.actor, { name: req.params.name, ...req.body }),
  );
  app.delete('/deployment-templates/:name', { schema: { tags, summary: 'Remove a template an admin added (admins)', params: z.object({ name: TemplateName }) } }, async (req, reply) => {
    await templates.remove(req.actor, req.params.name);
    return reply.code(204).send();
  });

  app.get('/eval-limits', { schema: { tags, summary: 'Evaluation endpoint lifetime and default team quotas', response: { 200: EvalLimits } } }, async (req) => limits.get(req.actor));
  app.put('/eval-limits', { schema: { tags, summary: 'Change the evaluation endpoint lifetime and default quotas (admins)', body: EvalLimits, response: { 200: EvalLimits } } }, async (req) => limits.set(req.actor, req.body));
  app.get('/teams/:team/quota', { schema: { tags, summary: 'The evaluation quota that applies to a team', params: z.object({ team: DeploymentTeam }), response: { 200: z.object({ maxEndpoints: z.number(), maxGpus: z.number(), own: TeamQuota }) } } }, async (req) => (await limits.teamQuotas(req.actor, [req.params.team]))[req.params.team]!);
  app.put('/teams/:team/quota', { schema: { tags, summary: 'Set a team’s evaluation quota; null takes the default (admins)', params: z.object({ team: DeploymentTeam }), body: TeamQuota } }, async (req, reply) => {
    await limits.setTeamQuota(req.actor, req.params.team, req.body);
    return reply.code(204).send();
  });

  app.post(
    '/deployments',
    {
      schema: {
        tags,
        summary: 'Deploy a version (deployment.yaml as JSON); ?dryRun=true validates and returns the manifests without starting anything',
        querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }).strict(),
        body: CreateBody,
        response: { 200: DryRunView, 202: DeploymentView, 201: DeploymentView },
      },
    },
    async (req, reply) => {
      const { wait, ...spec } = req.body;
      if (req.query.dryRun === 'true') return reply.code(200).send(await deployments.dryRun(req.actor, spec));
      const d = await deployments.create(req.actor, spec, { wait: wait ?? false });
      return reply.code(d.state === 'starting' ? 202 : 201).send(d);
    },
  );
  app.post(
    '/models/:slug/versions/:version/eval-endpoint',
    {
      schema: {
        tags,
        summary: 'Start a temporary evaluation endpoint (evaluation template, the installation’s lifetime, the team’s quota)',
        params: z.object({ slug: Slug, version: SemVer }).strict(),
        body: z.object({ team: DeploymentTeam.optional(), wait: z.boolean().optional() }).strict(),
        response: { 202: DeploymentView, 201: DeploymentView },
      },
    },
    async (req, reply) => {
      const d = await deployments.startEvaluationEndpoint(req.actor, req.params.slug, req.params.version, { team: req.body.team, wait: req.body.wait ?? false });
      return reply.code(d.state === 'starting' ? 202 : 201).send(d);
    },
  );
  app.get(
    '/deployments',
    {
      schema: {
        tags,
        summary: 'Deployments you can see, newest first',
        querystring: z.object({ slug: z.string().optional(), version: z.string().optional(), team: z.string().optional(), live: z.enum(['true', 'false']).optional(), environment: z.enum(['evaluation', 'production']).optional() }).strict(),
        response: { 200: z.array(DeploymentView) },
      },
    },
    async (req) => deployments.list(req.actor, { ...req.query, live: req.query.live === 'true' }),
  );
  app.get('/deployments/:id', { schema: { tags, summary: 'One deployment: state, endpoint, expiry, last error and log lines', params: Id, response: { 200: DeploymentView } } }, async (req) => deployments.get(req.actor, req.params.id));
  app.post('/deployments/:id/stop', { schema: { tags, summary: 'Stop a deployment or evaluation endpoint now', params: Id, response: { 200: DeploymentView } } }, async (req) => deployments.stop(req.actor, req.params.id));
  app.post('/deployments/:id/try', { schema: { tags, summary: 'Playground: send inputs to a ready endpoint; answers with outputs and latency', params: Id, body: TryRequest, response: { 200: TryView } } }, async (req) => playground.tryOut(req.actor, req.params.id, req.body));
  app.post(
    '/deployments/:id/chat/stream',
    { schema: { tags, summary: 'Playground: chat with a ready generative endpoint, streamed as server-sent events ({"delta"} pieces, then {"done", "latencyMs", "firstTokenMs"}; an error mid-stream is {"error"})', params: Id, body: ChatStreamRequest } },
    async (req, reply) => {
      const events = await playground.chatStream(req.actor, req.params.id, req.body);
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      try {
        for await (const e of events) reply.raw.write(`data: ${JSON.stringify(e)}\n\n`);
      } catch (err) {
        // Headers are gone: the failure travels as the stream's last event.
        reply.raw.write(`data: ${JSON.stringify({ error: (err as Error).message })}\n\n`);
      }
      reply.raw.end();
    },
  );
  app.post('/compare', { schema: { tags, summary: 'Send the same inputs to two to four endpoints; outputs, p50/p95 latency and errors side by side', body: CompareRequest, response: { 200: CompareView } } }, async (req) => playground.compare(req.actor, req.body));
};
