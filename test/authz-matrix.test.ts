/**
 * The authorization matrix: every route of the API × every role (anonymous, a viewer, a
 * contributor and a team lead of team alpha, a contributor of team beta, a platform reviewer, an
 * admin, and a read-only token), against resources of both teams, on both databases. Each case
 * lists who may do it; any other caller must be refused (401, 403, or 404 where a draft must stay
 * invisible), and a route without a case fails the test, so new routes must be classified here.
 * Each route also declares the token scopes it needs (ROUTE_SCOPES; a case may differ): a caller
 * with the right role whose token lacks one of them must get 403, and a token with exactly those
 * scopes must be enough. A route without declared scopes fails like an unclassified one.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { resolveVersion, VersionFields } from '../src/catalog/index.js';
import { benchmarkResults, deployments, evaluationRuns, modelVersions, submissions } from '../src/core/db/schema.js';
import { createLogger } from '../src/core/logger.js';
import { SCOPES, systemActor, type Scope } from '../src/identity/index.js';
import { BUILT_IN_TEMPLATES } from '../src/deploy/index.js';
import { createTestServices, dbKinds } from './harness.js';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';

const SYS = systemActor('test');
const ROLES = ['anonymous', 'viewerA', 'contribA', 'leadA', 'contribB', 'reviewer', 'admin', 'readonlyA'] as const;
type Role = (typeof ROLES)[number];

const USERS: Role[] = ['viewerA', 'contribA', 'leadA', 'contribB', 'reviewer', 'admin', 'readonlyA'];
const SEE_ALPHA: Role[] = ['viewerA', 'contribA', 'leadA', 'reviewer', 'admin', 'readonlyA'];
const SEE_BETA: Role[] = ['contribB', 'reviewer', 'admin'];
const WRITE_ALPHA: Role[] = ['contribA', 'leadA', 'admin'];
const WRITE_BETA: Role[] = ['contribB', 'admin'];
const REVIEW: Role[] = ['reviewer', 'admin'];
const ADMIN: Role[] = ['admin'];
/** Users whose credential may write (the read-only token may not). */
const WRITERS: Role[] = USERS.filter((r) => r !== 'readonlyA');

/** The user behind each role's tokens (the read-only token is contrib-a's). */
const USERNAME: Record<Exclude<Role, 'anonymous'>, string> = {
  viewerA: 'viewer-a',
  contribA: 'contrib-a',
  leadA: 'lead-a',
  contribB: 'contrib-b',
  reviewer: 'reviewer',
  admin: 'admin',
  readonlyA: 'contrib-a',
};

interface Case {
  /** The route as registered, "METHOD /url". */
  route: string;
  what: string;
  allow: Role[] | 'public';
  /** The status allowed callers get, when it is fixed (e.g. 409: authorized, but the version is immutable). */
  status?: number;
  /** The token scopes this case needs when not the route's (ROUTE_SCOPES); per role when it differs by role. */
  scopes?: Scope[] | ((role: Role) => Scope[]);
  req: (n: number) => { method: string; url: string; payload?: unknown; headers?: Record<string, string> };
}

const R: Scope[] = ['read'];
/** A change: write, and read too (a change answers with what it changed). */
const RW: Scope[] = ['read', 'write'];
/** Starting or stopping endpoints: deploy, and read (the version deployed). */
const RD: Scope[] = ['read', 'deploy'];
const A: Scope[] = ['admin'];
/**
 * The scopes a token needs for each route, besides the caller's role: read to read, read and
 * write to change, read and deploy to start or stop endpoints, admin for administration (identity
 * administration with read or write as the access is). [] for routes anyone may call, or any
 * valid credential.
 */
const ROUTE_SCOPES: Record<string, Scope[]> = {
  'GET /healthz': [],
  'GET /readyz': [],
  'GET /metrics': R,
  'GET /api/v1/openapi.json': [],
  'GET /api/v1/status': R,
  'GET /api/v1/auth/config': [],
  'POST /api/v1/auth/login': [],
  'POST /api/v1/auth/logout': [],
  'GET /api/v1/auth/oidc/start': [],
  'GET /api/v1/auth/oidc/callback': [],
  'GET /api/v1/me': [],
  'GET /api/v1/users': ['read', 'admin'],
  'POST /api/v1/users': ['write', 'admin'],
  'PATCH /api/v1/users/:username': ['write', 'admin'],
  'POST /api/v1/teams': ['write', 'admin'],
  'PUT /api/v1/teams/:team/members/:username': ['write', 'admin'],
  'DELETE /api/v1/teams/:team/members/:username': ['write', 'admin'],
  'GET /api/v1/tokens': R,
  'POST /api/v1/tokens': RW, // a token mints only scopes it has: a read token needs read
  'DELETE /api/v1/tokens/:id': ['write'],
  'PUT /api/v1/settings/public-catalog': ['write', 'admin'],
  'GET /api/v1/reviews/queue': R,
  'GET /api/v1/suites': R,
  'POST /api/v1/suites': A,
  'POST /api/v1/models/:slug/versions/:version/submit': RW,
  'POST /api/v1/models/:slug/versions/:version/acknowledge': RW,
  'POST /api/v1/models/:slug/versions/:version/sign-off': RW,
  'POST /api/v1/models/:slug/versions/:version/approve': RW,
  'POST /api/v1/models/:slug/versions/:version/benchmarks/:id/accept': RW,
  'POST /api/v1/models/:slug/versions/:version/reject': RW,
  'POST /api/v1/models/:slug/versions/:version/promote': RW,
  'GET /api/v1/models/:slug/versions/:version/submission': R,
  'GET /api/v1/models/:slug/versions/:version/scan-report': R,
  'GET /api/v1/models/:slug/versions/:version/history': R,
  'POST /api/v1/models/:slug/versions/:version/policy-check': R,
  'GET /api/v1/jobs': A,
  'POST /api/v1/jobs/:name/:id/retry': A,
  'GET /api/v1/audit': R,
  'GET /api/v1/audit/export': R,
  'GET /api/v1/audit/verify': R,
  'GET /api/v1/models': R,
  'POST /api/v1/models': RW,
  'GET /api/v1/models/:slug': R,
  'PATCH /api/v1/models/:slug': RW,
  'GET /api/v1/models/:slug/versions': R,
  'POST /api/v1/models/:slug/versions': RW,
  'GET /api/v1/models/:slug/versions/:version': R,
  'PATCH /api/v1/models/:slug/versions/:version': RW,
  'GET /api/v1/search': R,
  'GET /api/v1/teams': R,
  'GET /api/v1/registry/stats': R,
  'POST /api/v1/import': A,
  'POST /api/v1/models/:slug/versions/:version/uploads': RW,
  'GET /api/v1/uploads/:id': RW,
  'PATCH /api/v1/uploads/:id': RW,
  'POST /api/v1/models/:slug/versions/:version/files/commit': RW,
  'GET /api/v1/models/:slug/versions/:version/files': R,
  'GET /api/v1/models/:slug/versions/:version/files/*': R,
  'GET /api/v1/models/:slug/versions/:version/extraction': R,
  'POST /api/v1/models/:slug/versions/:version/prefill': RW,
  'GET /api/v1/deployment-templates': R,
  'GET /api/v1/deployment-templates/:name': R,
  'PUT /api/v1/deployment-templates/:name': A,
  'DELETE /api/v1/deployment-templates/:name': A,
  'GET /api/v1/eval-limits': R,
  'PUT /api/v1/eval-limits': A,
  'GET /api/v1/teams/:team/quota': R,
  'PUT /api/v1/teams/:team/quota': A,
  'POST /api/v1/deployments': RD,
  'POST /api/v1/models/:slug/versions/:version/eval-endpoint': RD,
  'GET /api/v1/deployments': R,
  'GET /api/v1/deployments/:id': R,
  'POST /api/v1/deployments/:id/stop': RD,
  'POST /api/v1/deployments/:id/try': R,
  'POST /api/v1/deployments/:id/chat/stream': R,
  'POST /api/v1/compare': R,
  'POST /api/v1/models/:slug/versions/:version/evaluations': ['read', 'write', 'deploy'],
  'GET /api/v1/models/:slug/versions/:version/evaluations': R,
  'GET /api/v1/evaluations/:id': R,
  'GET /hf/api/models/:ns/:name': R,
  'GET /hf/api/models/:ns/:name/revision/:rev': R,
  'GET /hf/api/models/:ns/:name/tree/:rev': R,
  'GET /hf/api/models/:ns/:name/tree/:rev/*': R,
  'POST /hf/api/models/:ns/:name/paths-info/:rev': R,
  'GET /hf/:ns/:name/resolve/:rev/*': R,
  'GET /hf/:ns/:name/raw/:rev/*': R,
};

const scopesOf = (c: Case, role: Role): Scope[] | undefined => (typeof c.scopes === 'function' ? c.scopes(role) : (c.scopes ?? ROUTE_SCOPES[c.route]));

let app: FastifyInstance;
let services: Services;
let cleanup: () => Promise<void>;
const tokens = {} as Record<Role, string | undefined>;
const uploads = { alpha: '', beta: '' };
let betaTokenId = '';
/** Tokens of the admin user and of a user in no role, to revoke. */
const tokenIds = { adminOwn: '', bystander: '' };
const deploymentIds: string[] = [];
let runId = '';
/** Tokens with a given set of scopes, per user (made when first needed). */
const scopedTokens = new Map<string, string>();
let benchmarkId = 0;

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function modelWithFile(slug: string, team: string, version: string, approve: boolean) {
  await services.catalog.createModel(SYS, { slug, name: slug, ownerTeam: team, description: `${slug} model`, tasks: ['text-classification'], domains: [], tags: [], baseModel: null });
  await services.catalog.createVersion(SYS, slug, VersionFields.parse({ version }));
  for (const [p, body] of [
    ['config.json', Buffer.from('{"architectures":["BertModel"]}')],
    ['docs/README.md', Buffer.from('# notes')],
  ] as const) {
    const u = await services.registry.startUpload(SYS, slug, version, { path: p, digest: sha(body), size: body.length });
    await services.registry.appendChunk(SYS, u.id, 0, Readable.from([body]));
  }
  await services.registry.commitFiles(SYS, slug, version);
  if (approve) await services.catalog.updateVersion(SYS, slug, version, { lifecycle: 'approved' });
}

async function userToken(username: string, scopes: Scope[]): Promise<string> {
  const admin = (await services.identity.resolveToken(tokens.admin as string, 'setup'))!;
  return (await services.identity.createToken(admin, { name: `${username}-${scopes.join('-')}`, scopes, expiresInDays: 1, username })).token;
}

/** A token of `role`'s user with exactly `scopes`. */
async function scopedToken(role: Exclude<Role, 'anonymous'>, scopes: Scope[]): Promise<string> {
  const key = `${USERNAME[role]} ${[...scopes].sort().join(',')}`;
  let t = scopedTokens.get(key);
  if (!t) scopedTokens.set(key, (t = await userToken(USERNAME[role], scopes)));
  return t;
}

const get = (url: string) => () => ({ method: 'GET', url });
const json = (method: string, url: string, payload: (n: number) => unknown) => (n: number) => ({ method, url, payload: payload(n) });

/** Every route, per target team where a team is involved. */
function cases(): Case[] {
  const v1 = '/api/v1';
  const c: Case[] = [
    { route: 'GET /healthz', what: 'liveness', allow: 'public', req: get('/healthz') },
    { route: 'GET /readyz', what: 'readiness', allow: 'public', req: get('/readyz') },
    { route: 'GET /metrics', what: 'metrics', allow: USERS, req: get('/metrics') },
    { route: 'GET /api/v1/openapi.json', what: 'API description', allow: USERS, req: get(`${v1}/openapi.json`) },
    { route: 'GET /api/v1/status', what: 'status', allow: USERS, req: get(`${v1}/status`) },
    { route: 'GET /api/v1/auth/config', what: 'sign-in options', allow: 'public', req: get(`${v1}/auth/config`) },
    { route: 'POST /api/v1/auth/login', what: 'sign in', allow: 'public', req: json('POST', `${v1}/auth/login`, () => ({ username: 'nobody', password: 'wrong-password' })) },
    { route: 'POST /api/v1/auth/logout', what: 'sign out', allow: 'public', req: () => ({ method: 'POST', url: `${v1}/auth/logout` }) },
    // Browser navigations anyone may make (404 here: single sign-on is not configured; test/oidc.test.ts covers it).
    { route: 'GET /api/v1/auth/oidc/start', what: 'start single sign-on', allow: 'public', req: get(`${v1}/auth/oidc/start?returnTo=/`) },
    { route: 'GET /api/v1/auth/oidc/callback', what: "the identity provider's answer", allow: 'public', req: get(`${v1}/auth/oidc/callback?code=x&state=y`) },
    { route: 'GET /api/v1/me', what: 'who am I', allow: USERS, req: get(`${v1}/me`) },
    // administration
    { route: 'GET /api/v1/users', what: 'list users', allow: ADMIN, req: get(`${v1}/users`) },
    { route: 'POST /api/v1/users', what: 'create a user', allow: ADMIN, req: json('POST', `${v1}/users`, (n) => ({ username: `new-user-${n}` })) },
    { route: 'PATCH /api/v1/users/:username', what: 'change a user', allow: ADMIN, req: json('PATCH', `${v1}/users/viewer-a`, () => ({ name: 'Viewer A' })) },
    { route: 'POST /api/v1/teams', what: 'create a team', allow: ADMIN, req: json('POST', `${v1}/teams`, (n) => ({ slug: `team-${n}`, name: 'T' })) },
    { route: 'PUT /api/v1/teams/:team/members/:username', what: 'add a member to own team', allow: ADMIN, req: json('PUT', `${v1}/teams/alpha/members/contrib-b`, () => ({ role: 'viewer' })) },
    { route: 'DELETE /api/v1/teams/:team/members/:username', what: 'remove a member', allow: ADMIN, req: () => ({ method: 'DELETE', url: `${v1}/teams/alpha/members/contrib-b` }) },
    { route: 'GET /api/v1/tokens', what: 'own tokens', allow: USERS, req: get(`${v1}/tokens`) },
    { route: 'GET /api/v1/tokens', what: "everyone's tokens", allow: ADMIN, scopes: ['read', 'admin'], req: get(`${v1}/tokens?all=true`) },
    { route: 'GET /api/v1/tokens', what: "another user's tokens", allow: ADMIN, scopes: ['read', 'admin'], req: get(`${v1}/tokens?username=bystander`) },
    { route: 'POST /api/v1/tokens', what: 'own token (scopes within the caller’s)', allow: WRITERS, req: json('POST', `${v1}/tokens`, (n) => ({ name: `t${n}`, scopes: ['read'] })) },
    { route: 'POST /api/v1/tokens', what: 'own token with more scopes than the caller’s', allow: ADMIN, scopes: [...SCOPES], req: json('POST', `${v1}/tokens`, (n) => ({ name: `t${n}`, scopes: ['read', 'write', 'deploy', 'admin'] })) },
    { route: 'POST /api/v1/tokens', what: "another user's token", allow: ADMIN, scopes: ['read', 'write', 'admin'], req: json('POST', `${v1}/tokens`, (n) => ({ name: `t${n}`, scopes: ['read'], username: 'bystander' })) },
    { route: 'DELETE /api/v1/tokens/:id', what: "revoke contrib-b's token (its owner's or another user's)", allow: ['contribB', 'admin'], scopes: (r) => (r === 'admin' ? ['write', 'admin'] : ['write']), req: () => ({ method: 'DELETE', url: `${v1}/tokens/${betaTokenId}` }) },
    { route: 'DELETE /api/v1/tokens/:id', what: "revoke one of the admin's own tokens", allow: ADMIN, req: () => ({ method: 'DELETE', url: `${v1}/tokens/${tokenIds.adminOwn}` }) },
    { route: 'DELETE /api/v1/tokens/:id', what: "revoke another user's token", allow: ADMIN, scopes: ['write', 'admin'], req: () => ({ method: 'DELETE', url: `${v1}/tokens/${tokenIds.bystander}` }) },
    { route: 'PUT /api/v1/settings/public-catalog', what: 'make the catalog public', allow: ADMIN, req: json('PUT', `${v1}/settings/public-catalog`, () => ({ public: false })) },
    // review queues and suites; approvals on a draft meet the workflow (409) once authorized
    { route: 'GET /api/v1/reviews/queue', what: 'my review queue', allow: USERS, req: get(`${v1}/reviews/queue`) },
    { route: 'GET /api/v1/suites', what: 'evaluation suites', allow: USERS, req: get(`${v1}/suites`) },
    { route: 'POST /api/v1/suites', what: 'register a suite', allow: ADMIN, req: json('POST', `${v1}/suites`, () => ({ name: 'suite-x', task: 'qa', metrics: ['accuracy'] })) },
    { route: 'POST /api/v1/models/:slug/versions/:version/acknowledge', what: 'acknowledge scan warnings', allow: REVIEW, status: 409, req: json('POST', `${v1}/models/alpha-draft/versions/0.1.0/acknowledge`, () => ({ comment: 'ok' })) },
    { route: 'POST /api/v1/models/:slug/versions/:version/approve', what: 'approve', allow: REVIEW, status: 409, req: json('POST', `${v1}/models/alpha-draft/versions/0.1.0/approve`, () => ({})) },
    { route: 'POST /api/v1/models/:slug/versions/:version/promote', what: 'promote to production', allow: REVIEW, status: 409, req: json('POST', `${v1}/models/alpha-pub/versions/1.0.0/promote`, () => ({ slaOwner: 'x' })) },
    // background jobs
    { route: 'GET /api/v1/jobs', what: 'job queue', allow: ADMIN, req: get(`${v1}/jobs`) },
    { route: 'POST /api/v1/jobs/:name/:id/retry', what: 'retry a job', allow: ADMIN, req: () => ({ method: 'POST', url: `${v1}/jobs/registry-housekeeping/00000000-0000-4000-8000-000000000000/retry` }) },
    // audit
    { route: 'GET /api/v1/audit', what: 'audit events', allow: USERS, req: get(`${v1}/audit`) },
    { route: 'GET /api/v1/audit/export', what: 'audit export', allow: USERS, req: get(`${v1}/audit/export`) },
    { route: 'GET /api/v1/audit/verify', what: 'audit verification', allow: REVIEW, req: get(`${v1}/audit/verify`) },
    // catalog reads
    { route: 'GET /api/v1/models', what: 'list', allow: USERS, req: get(`${v1}/models`) },
    { route: 'GET /api/v1/search', what: 'search', allow: USERS, req: get(`${v1}/search?q=model`) },
    { route: 'GET /api/v1/teams', what: 'teams', allow: USERS, req: get(`${v1}/teams`) },
    { route: 'GET /api/v1/registry/stats', what: 'storage stats', allow: USERS, req: get(`${v1}/registry/stats`) },
    { route: 'POST /api/v1/import', what: 'bulk import', allow: ADMIN, req: json('POST', `${v1}/import`, () => ({ entries: [] })) },
    // deployment templates, evaluation limits and quotas
    { route: 'GET /api/v1/deployment-templates', what: 'templates', allow: USERS, req: get(`${v1}/deployment-templates`) },
    { route: 'GET /api/v1/deployment-templates/:name', what: 'one template', allow: USERS, req: get(`${v1}/deployment-templates/batch`) },
    { route: 'PUT /api/v1/deployment-templates/:name', what: 'edit a template', allow: ADMIN, req: json('PUT', `${v1}/deployment-templates/custom-x`, () => ({ description: 'x', settings: BUILT_IN_TEMPLATES[0]!.settings })) },
    { route: 'DELETE /api/v1/deployment-templates/:name', what: 'remove a built-in template', allow: ADMIN, status: 409, req: () => ({ method: 'DELETE', url: `${v1}/deployment-templates/evaluation` }) },
    { route: 'GET /api/v1/eval-limits', what: 'evaluation limits', allow: USERS, req: get(`${v1}/eval-limits`) },
    { route: 'PUT /api/v1/eval-limits', what: 'change evaluation limits', allow: ADMIN, req: json('PUT', `${v1}/eval-limits`, () => ({ lifetimeHours: 4, maxEndpointsPerTeam: 3, maxGpusPerTeam: 4 })) },
    { route: 'GET /api/v1/teams/:team/quota', what: 'a team quota', allow: USERS, req: get(`${v1}/teams/alpha/quota`) },
    { route: 'PUT /api/v1/teams/:team/quota', what: 'set a team quota', allow: ADMIN, req: json('PUT', `${v1}/teams/alpha/quota`, () => ({ maxEvalEndpoints: null, maxGpus: null })) },
    // deployments: alpha-pub has no servable file, so authorized callers meet INVALID_INPUT (400)
    { route: 'POST /api/v1/deployments', what: 'dry-run an alpha evaluation deployment', allow: ['contribA', 'leadA', 'admin'], status: 400, req: json('POST', `${v1}/deployments?dryRun=true`, () => ({ model: 'alpha-pub@1.0.0', template: 'evaluation', team: 'alpha', useCase: 'evaluation', environment: 'evaluation' })) },
    { route: 'POST /api/v1/models/:slug/versions/:version/eval-endpoint', what: 'evaluation endpoint for alpha', allow: ['contribA', 'leadA', 'admin'], status: 400, req: json('POST', `${v1}/models/alpha-pub/versions/1.0.0/eval-endpoint`, () => ({ team: 'alpha' })) },
    { route: 'GET /api/v1/deployments', what: 'deployments', allow: USERS, req: get(`${v1}/deployments`) },
    { route: 'GET /api/v1/deployments/:id', what: 'a deployment of a published version', allow: USERS, req: () => ({ method: 'GET', url: `${v1}/deployments/${deploymentIds[0]}` }) },
    // a stopped endpoint: its contributors may stop it (409: already stopped), its team may try it (409: not ready)
    { route: 'POST /api/v1/deployments/:id/stop', what: "stop alpha's endpoint", allow: ['contribA', 'leadA', 'admin'], status: 409, req: () => ({ method: 'POST', url: `${v1}/deployments/${deploymentIds[0]}/stop` }) },
    { route: 'POST /api/v1/deployments/:id/try', what: "try alpha's endpoint", allow: SEE_ALPHA, status: 409, req: () => ({ method: 'POST', url: `${v1}/deployments/${deploymentIds[0]}/try`, payload: { inputs: ['x'] } }) },
    { route: 'POST /api/v1/deployments/:id/chat/stream', what: "stream a chat from alpha's endpoint", allow: SEE_ALPHA, status: 409, req: () => ({ method: 'POST', url: `${v1}/deployments/${deploymentIds[0]}/chat/stream`, payload: { messages: [{ role: 'user', content: 'hi' }] } }) },
    { route: 'POST /api/v1/compare', what: "compare alpha's endpoints", allow: SEE_ALPHA, status: 409, req: () => ({ method: 'POST', url: `${v1}/compare`, payload: { deployments: deploymentIds, inputs: ['x'] } }) },
    // evaluation runs: the suite has no dataset, so authorized callers meet INVALID_INPUT (400)
    // Contributors pass the team-role check (read, write); reviewers and admins only need deploy.
    { route: 'POST /api/v1/models/:slug/versions/:version/evaluations', what: 'run a suite on alpha-pub', allow: ['contribA', 'leadA', 'reviewer', 'admin'], status: 400, scopes: (r) => (r === 'reviewer' || r === 'admin' ? ['deploy'] : ['read', 'write', 'deploy']), req: json('POST', `${v1}/models/alpha-pub/versions/1.0.0/evaluations`, () => ({ suite: 'plain' })) },
    // a reported benchmark result: reviewers accept it (the first one; 409 already accepted after)
    { route: 'POST /api/v1/models/:slug/versions/:version/benchmarks/:id/accept', what: 'accept a reported result of alpha-pub', allow: REVIEW, req: () => ({ method: 'POST', url: `${v1}/models/alpha-pub/versions/1.0.0/benchmarks/${benchmarkId}/accept`, payload: {} }) },
    { route: 'GET /api/v1/models/:slug/versions/:version/evaluations', what: 'suite runs of alpha-pub', allow: USERS, req: get(`${v1}/models/alpha-pub/versions/1.0.0/evaluations`) },
    { route: 'GET /api/v1/evaluations/:id', what: 'a suite run of alpha-pub', allow: USERS, req: () => ({ method: 'GET', url: `${v1}/evaluations/${runId}` }) },
    // a submitted alpha version: its team, reviewers and admins read where it stands
    { route: 'GET /api/v1/models/:slug/versions/:version/submission', what: 'alpha submission state', allow: SEE_ALPHA, req: get(`${v1}/models/alpha-sub/versions/1.0.0/submission`) },
    { route: 'GET /api/v1/models/:slug/versions/:version/scan-report', what: 'alpha scan report', allow: SEE_ALPHA, req: get(`${v1}/models/alpha-sub/versions/1.0.0/scan-report`) },
  ];
  for (const [team, draft, see, write] of [
    ['alpha', 'alpha-draft', SEE_ALPHA, WRITE_ALPHA],
    ['beta', 'beta-draft', SEE_BETA, WRITE_BETA],
  ] as const) {
    const m = `${v1}/models/${draft}`;
    const up = team === 'alpha' ? uploads.alpha : uploads.beta;
    c.push(
      { route: 'POST /api/v1/models', what: `create a ${team} model`, allow: write, req: json('POST', `${v1}/models`, (n) => ({ slug: `${team}-new-${n}`, name: 'New', ownerTeam: team })) },
      { route: 'GET /api/v1/models/:slug', what: `${team} draft model`, allow: see, req: get(m) },
      { route: 'PATCH /api/v1/models/:slug', what: `edit ${team} model`, allow: write, req: json('PATCH', m, (n) => ({ description: `edited ${n}` })) },
      { route: 'GET /api/v1/models/:slug/versions', what: `${team} draft versions`, allow: see, req: get(`${m}/versions`) },
      { route: 'POST /api/v1/models/:slug/versions', what: `add a ${team} version`, allow: write, req: json('POST', `${m}/versions`, (n) => ({ version: `0.2.${n}` })) },
      { route: 'GET /api/v1/models/:slug/versions/:version', what: `${team} draft version`, allow: see, req: get(`${m}/versions/0.1.0`) },
      { route: 'PATCH /api/v1/models/:slug/versions/:version', what: `edit ${team} draft content`, allow: write, req: json('PATCH', `${m}/versions/0.1.0`, (n) => ({ license: `license-${n}` })) },
      { route: 'PATCH /api/v1/models/:slug/versions/:version', what: `change ${team} draft compliance`, allow: REVIEW, req: json('PATCH', `${m}/versions/0.1.0`, (n) => ({ compliance: { status: 'pending', reviewedAt: `2026-01-${String(1 + (n % 28)).padStart(2, '0')}` } })) },
      { route: 'POST /api/v1/models/:slug/versions/:version/uploads', what: `upload to ${team}`, allow: write, req: json('POST', `${m}/versions/0.1.0/uploads`, (n) => ({ path: `w/${n}.bin`, digest: sha(Buffer.from('abc')), size: 3 })) },
      { route: 'GET /api/v1/uploads/:id', what: `${team} upload status`, allow: write, req: get(`${v1}/uploads/${up}`) },
      {
        route: 'PATCH /api/v1/uploads/:id',
        what: `append to a ${team} upload`,
        allow: write,
        req: () => ({ method: 'PATCH', url: `${v1}/uploads/${up}`, payload: Buffer.from('abc'), headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' } }),
      },
      { route: 'POST /api/v1/models/:slug/versions/:version/files/commit', what: `commit ${team} files`, allow: write, req: () => ({ method: 'POST', url: `${m}/versions/0.1.0/files/commit` }) },
      { route: 'GET /api/v1/models/:slug/versions/:version/files', what: `${team} draft files`, allow: see, req: get(`${m}/versions/0.1.0/files`) },
      { route: 'GET /api/v1/models/:slug/versions/:version/files/*', what: `download a ${team} draft file`, allow: see, req: get(`${m}/versions/0.1.0/files/config.json`) },
      { route: 'GET /api/v1/models/:slug/versions/:version/extraction', what: `read ${team} draft files`, allow: see, req: get(`${m}/versions/0.1.0/extraction`) },
      { route: 'POST /api/v1/models/:slug/versions/:version/prefill', what: `prefill a ${team} draft`, allow: write, req: () => ({ method: 'POST', url: `${m}/versions/0.1.0/prefill` }) },
      // the workflow: the drafts are incomplete, so allowed callers meet the workflow's own refusals
      { route: 'POST /api/v1/models/:slug/versions/:version/submit', what: `submit a ${team} draft`, allow: write, status: 422, req: json('POST', `${m}/versions/0.1.0/submit`, () => ({})) },
      { route: 'POST /api/v1/models/:slug/versions/:version/sign-off', what: `sign off a ${team} version`, allow: team === 'alpha' ? ['leadA', 'admin'] : ['admin'], status: 409, req: json('POST', `${m}/versions/0.1.0/sign-off`, () => ({})) },
      { route: 'POST /api/v1/models/:slug/versions/:version/reject', what: `reject a ${team} version`, allow: team === 'alpha' ? ['leadA', 'reviewer', 'admin'] : REVIEW, status: 409, req: json('POST', `${m}/versions/0.1.0/reject`, () => ({ reason: 'no' })) },
      { route: 'GET /api/v1/models/:slug/versions/:version/submission', what: `${team} submission state`, allow: [], req: get(`${m}/versions/0.1.0/submission`) },
      { route: 'GET /api/v1/models/:slug/versions/:version/scan-report', what: `${team} scan report`, allow: [], req: get(`${m}/versions/0.1.0/scan-report`) },
      { route: 'GET /api/v1/models/:slug/versions/:version/history', what: `${team} draft history`, allow: see, req: get(`${m}/versions/0.1.0/history`) },
      { route: 'POST /api/v1/models/:slug/versions/:version/policy-check', what: `policy check of a ${team} draft`, allow: see, req: json('POST', `${m}/versions/0.1.0/policy-check`, () => ({ purpose: 'evaluation' })) },
    );
  }
  // the published model: every user reads it; only its team writes; reviewers change its lifecycle
  const pub = `${v1}/models/alpha-pub`;
  c.push(
    { route: 'GET /api/v1/models/:slug', what: 'published model', allow: USERS, req: get(pub) },
    { route: 'GET /api/v1/models/:slug/versions/:version/files/*', what: 'download a published file', allow: USERS, req: get(`${pub}/versions/1.0.0/files/config.json`) },
    {
      route: 'PATCH /api/v1/models/:slug/versions/:version',
      what: 'record a compliance review of the published version',
      allow: REVIEW,
      req: json('PATCH', `${pub}/versions/1.0.0`, (n) => ({ compliance: { status: 'approved', reviewedAt: `2026-02-${String(1 + (n % 28)).padStart(2, '0')}` } })),
    },
    // The owner team passes authorization, then meets the immutability of approved versions.
    { route: 'PATCH /api/v1/models/:slug/versions/:version', what: 'edit published content', allow: WRITE_ALPHA, status: 409, req: json('PATCH', `${pub}/versions/1.0.0`, (n) => ({ license: `license-${n}` })) },
    { route: 'GET /hf/api/models/:ns/:name', what: 'HF model info', allow: USERS, req: get('/hf/api/models/alpha/alpha-pub') },
    { route: 'GET /hf/api/models/:ns/:name/revision/:rev', what: 'HF revision', allow: USERS, req: get('/hf/api/models/alpha/alpha-pub/revision/1.0.0') },
    { route: 'GET /hf/api/models/:ns/:name/tree/:rev', what: 'HF tree', allow: USERS, req: get('/hf/api/models/alpha/alpha-pub/tree/main') },
    { route: 'GET /hf/api/models/:ns/:name/tree/:rev/*', what: 'HF tree folder', allow: USERS, req: get('/hf/api/models/alpha/alpha-pub/tree/main/docs') },
    { route: 'POST /hf/api/models/:ns/:name/paths-info/:rev', what: 'HF paths-info', allow: USERS, req: json('POST', '/hf/api/models/alpha/alpha-pub/paths-info/main', () => ({ paths: ['config.json'] })) },
    { route: 'GET /hf/:ns/:name/resolve/:rev/*', what: 'HF download', allow: USERS, req: get('/hf/alpha/alpha-pub/resolve/main/config.json') },
    { route: 'GET /hf/:ns/:name/raw/:rev/*', what: 'HF raw', allow: USERS, req: get('/hf/alpha/alpha-pub/raw/main/config.json') },
    { route: 'GET /hf/api/models/:ns/:name', what: 'HF info of a beta draft', allow: [], req: get('/hf/api/models/beta/beta-draft') },
  );
  return c;
}

function headersFor(role: Role): Record<string, string> {
  const t = tokens[role];
  return t ? { authorization: `Bearer ${t}` } : {};
}


describe.each(dbKinds())('authorization matrix on %s', (kind) => {
  beforeAll(async () => {
    deploymentIds.length = 0;
    scopedTokens.clear();
    const t = await createTestServices(kind);
    services = t.services;
    cleanup = t.cleanup;
    tokens.admin = t.adminToken;
    const { identity } = services;
    for (const [name, role] of [['viewer-a', 'viewer'], ['contrib-a', 'contributor'], ['lead-a', 'team_lead']] as const) {
      await identity.createUser(SYS, { username: name });
      await identity.addMembership(SYS, 'alpha', name, role);
    }
    await identity.createUser(SYS, { username: 'contrib-b' });
    await identity.addMembership(SYS, 'beta', 'contrib-b', 'contributor');
    await identity.createUser(SYS, { username: 'reviewer', platformRole: 'reviewer' });
    await identity.createUser(SYS, { username: 'bystander' });
    const all: Scope[] = ['read', 'write', 'deploy'];
    tokens.viewerA = await userToken('viewer-a', all);
    tokens.contribA = await userToken('contrib-a', all);
    tokens.leadA = await userToken('lead-a', all);
    tokens.contribB = await userToken('contrib-b', all);
    tokens.reviewer = await userToken('reviewer', all);
    tokens.readonlyA = await userToken('contrib-a', ['read']);
    const admin = (await identity.resolveToken(t.adminToken, 'setup'))!;
    betaTokenId = (await identity.createToken(admin, { name: 'to-revoke', scopes: ['read'], expiresInDays: 1, username: 'contrib-b' })).view.id;
    tokenIds.adminOwn = (await identity.createToken(admin, { name: 'to-revoke', scopes: ['read'], expiresInDays: 1, username: 'admin' })).view.id;
    tokenIds.bystander = (await identity.createToken(admin, { name: 'to-revoke', scopes: ['read'], expiresInDays: 1, username: 'bystander' })).view.id;

    await modelWithFile('alpha-pub', 'alpha', '1.0.0', true);
    await modelWithFile('alpha-draft', 'alpha', '0.1.0', false);
    await modelWithFile('beta-draft', 'beta', '0.1.0', false);
    // A submitted alpha version waiting for sign-off (its scan passed), to read its review state.
    await modelWithFile('alpha-sub', 'alpha', '1.0.0', false);
    const submitted = await resolveVersion(services.database.db, 'alpha-sub', '1.0.0');
    await services.database.db.update(modelVersions).set({ lifecycle: 'submitted' }).where(eq(modelVersions.id, submitted!.id));
    await services.database.db.insert(submissions).values({ versionId: submitted!.id, stage: 'awaiting_signoff', scanVerdict: 'pass' });
    const body = Buffer.from('abc');
    uploads.alpha = (await services.registry.startUpload(SYS, 'alpha-draft', '0.1.0', { path: 'weights/a.bin', digest: sha(body), size: 3 })).id;
    uploads.beta = (await services.registry.startUpload(SYS, 'beta-draft', '0.1.0', { path: 'weights/b.bin', digest: sha(body), size: 3 })).id;

    // Two stopped evaluation endpoints of team alpha and a finished suite run, to address by id.
    const pubVersion = await resolveVersion(services.database.db, 'alpha-pub', '1.0.0');
    for (let i = 0; i < 2; i++) {
      const [row] = await services.database.db.insert(deployments).values({ versionId: pubVersion!.id, name: `mg-test-${i}`, team: 'alpha', useCase: 'evaluation', environment: 'evaluation', state: 'stopped' }).returning({ id: deployments.id });
      deploymentIds.push(row!.id);
    }
    await services.suites.register(SYS, { name: 'plain', task: 'question-answering', metrics: ['accuracy'] });
    [{ id: benchmarkId }] = (await services.database.db.insert(benchmarkResults).values({ versionId: pubVersion!.id, suite: 'plain', metric: 'accuracy', value: 0.9 }).returning({ id: benchmarkResults.id })) as [{ id: number }];
    [{ id: runId }] = (await services.database.db.insert(evaluationRuns).values({ suite: 'plain', suiteRevision: 1, versionId: pubVersion!.id, state: 'failed' }).returning({ id: evaluationRuns.id })) as [{ id: string }];

    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('classifies every route', () => {
    const covered = new Set(cases().map((c) => c.route));
    const missing = app.routeList.map((r) => `${r.method} ${r.url}`).filter((r) => !covered.has(r));
    expect(missing).toEqual([]);
  });

  it('declares the token scopes every route needs', () => {
    const routes = app.routeList.map((r) => `${r.method} ${r.url}`);
    expect(routes.filter((r) => !(r in ROUTE_SCOPES))).toEqual([]);
    expect(Object.keys(ROUTE_SCOPES).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('allows exactly the roles each case names, for every route, role and team', async () => {
    const unexpected: string[] = [];
    let n = 0;
    let denials = 0;
    for (const c of cases()) {
      for (const role of ROLES) {
        const r = c.req(n++);
        const res = await app.inject({ method: r.method as 'GET', url: r.url, payload: r.payload as string, headers: { ...(r.headers ?? {}), ...headersFor(role) } });
        const status = res.statusCode;
        if (status >= 500) {
          unexpected.push(`${role} ${c.route} (${c.what}): server error ${status} ${res.body.slice(0, 200)}`);
          continue;
        }
        if (c.allow === 'public') continue;
        const denied = status === 401 || status === 403 || status === 404;
        const allowed = c.allow.includes(role);
        if (!allowed && !denied) unexpected.push(`ALLOWED ${role} ${c.route} (${c.what}): ${status}`);
        if (allowed && denied) unexpected.push(`refused ${role} ${c.route} (${c.what}): ${status} ${res.body.slice(0, 200)}`);
        if (allowed && c.status !== undefined && status !== c.status) unexpected.push(`${role} ${c.route} (${c.what}): ${status}, expected ${c.status}`);
        if (!allowed) denials++;
        if (!allowed && role !== 'anonymous' && status === 403) {
          const body = res.json<{ error: { code: string; message: string } }>();
          expect(['FORBIDDEN', 'CSRF']).toContain(body.error.code);
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(denials).toBeGreaterThan(200);
  });

  it('refuses a token lacking a scope the case needs, even for a role that may, and accepts one with exactly those scopes', async () => {
    const unexpected: string[] = [];
    let n = 100_000;
    let refusals = 0;
    // The matrix above completed and committed the uploads: new ones to address.
    const body = Buffer.from('abc');
    uploads.alpha = (await services.registry.startUpload(SYS, 'alpha-draft', '0.1.0', { path: 'weights/a2.bin', digest: sha(body), size: 3 })).id;
    uploads.beta = (await services.registry.startUpload(SYS, 'beta-draft', '0.1.0', { path: 'weights/b2.bin', digest: sha(body), size: 3 })).id;
    for (const c of cases()) {
      if (c.allow === 'public') continue;
      // The least privileged role that may, and the admin (who passes role checks another way).
      type Holder = Exclude<Role, 'anonymous' | 'readonlyA'>;
      const mayRoles = c.allow.filter((r): r is Holder => r !== 'anonymous' && r !== 'readonlyA');
      const first = mayRoles[0];
      const asRoles = new Set<Holder>([...(first ? [first] : []), ...(mayRoles.includes('admin') ? (['admin'] as const) : [])]);
      for (const role of asRoles) {
        const needs = scopesOf(c, role);
        if (!needs) {
          unexpected.push(`${c.route} (${c.what}): no scopes declared`);
          continue;
        }
        const send = async (scopes: Scope[]) => {
          const r = c.req(n++);
          return app.inject({ method: r.method as 'GET', url: r.url, payload: r.payload as string, headers: { ...(r.headers ?? {}), authorization: `Bearer ${await scopedToken(role, scopes)}` } });
        };
        for (const lacking of needs) {
          const res = await send(SCOPES.filter((s) => s !== lacking));
          // Refused for that scope: the API's `need`, or the Hugging Face API's plain message.
          const need = res.statusCode === 403 ? res.json<{ error?: { details?: { need?: string } } }>().error?.details?.need : undefined;
          if (res.statusCode !== 403 || !(need === `scope ${lacking}` || res.body.includes(`lacks the ${lacking} scope`))) {
            unexpected.push(`${role} ${c.route} (${c.what}) without ${lacking}: ${res.statusCode} ${res.body.slice(0, 160)}`);
          }
          refusals++;
        }
        if (!needs.length) continue;
        const enough = await send(needs);
        if ([401, 403, 404].includes(enough.statusCode) || enough.statusCode >= 500 || (c.status !== undefined && enough.statusCode !== c.status)) {
          unexpected.push(`${role} ${c.route} (${c.what}) with only ${needs.join('+')}: ${enough.statusCode} ${enough.body.slice(0, 160)}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(refusals).toBeGreaterThan(150);
  });

  it('records every 403 in the audit trail with who, what and why', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/models/beta-draft/versions', payload: { version: '9.9.9' }, headers: headersFor('contribA') });
    expect(res.statusCode).toBe(404); // beta's draft model is invisible to alpha: "not found", not "forbidden"
    const forbidden = await app.inject({ method: 'PATCH', url: '/api/v1/models/alpha-draft', payload: { description: 'x' }, headers: headersFor('viewerA') });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error.message).toMatch(/contributor of team alpha/);
    const events = await app.inject({ url: '/api/v1/audit?action=access.denied&actor=viewer-a&limit=1', headers: headersFor('admin') });
    expect(events.json().items[0]).toMatchObject({ actorName: 'viewer-a', action: 'access.denied', targetId: 'PATCH /api/v1/models/:slug', modelSlug: 'alpha-draft', details: { code: 'FORBIDDEN', need: 'contributor of alpha' } });
  });

  it('never lists another team’s drafts, in the list, search or facet counts', async () => {
    for (const [role, sees, hides] of [
      ['contribB', 'beta-draft', 'alpha-draft'],
      ['viewerA', 'alpha-draft', 'beta-draft'],
    ] as const) {
      const list = (await app.inject({ url: '/api/v1/models?limit=100', headers: headersFor(role) })).json<{ items: { slug: string }[]; total: number }>();
      const slugs = list.items.map((i) => i.slug);
      expect(slugs).toContain(sees);
      expect(slugs).not.toContain(hides);
      const found = (await app.inject({ url: '/api/v1/search?q=draft%20model', headers: headersFor(role) })).json<{ items: { slug: string }[] }>();
      expect(found.items.map((i) => i.slug)).not.toContain(hides);
    }
    const reviewer = (await app.inject({ url: '/api/v1/models?limit=100', headers: headersFor('reviewer') })).json<{ items: { slug: string }[] }>();
    expect(reviewer.items.map((i) => i.slug)).toEqual(expect.arrayContaining(['alpha-draft', 'beta-draft', 'alpha-pub']));
  });
});
