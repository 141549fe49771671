/**
 * The submission workflow through the API with the real scan job: incomplete drafts are refused,
 * a clean submission goes scan → sign-off → approval, a warning needs a reviewer's
 * acknowledgement, a blocking finding rejects automatically, separation of duties holds (also
 * when two reviewers act at once), promotion needs a production deployment, the history tells
 * who did what, and the use policy refuses what the version does not allow.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import type { Services } from '../src/api/services.js';
import { VersionFields } from '../src/catalog/index.js';
import { createLogger } from '../src/core/logger.js';
import { systemActor, type Scope } from '../src/identity/index.js';
import { createTestServices, dbKinds } from './harness.js';

const SYS = systemActor('test');
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).padEnd(64, ' '));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}
/** protocol-2 pickles: an unlisted class (warn), and os.system (block). */
const WARN_PICKLE = Buffer.from('\x80\x02c__main__\nRecord\nq\x00)\x81q\x01}q\x02b.', 'latin1');
const BLOCK_PICKLE = Buffer.from("\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.", 'latin1');

describe.each(dbKinds())('submission workflow on %s', (kind) => {
  let app: FastifyInstance;
  let services: Services;
  let cleanup: () => Promise<void>;
  const tokens: Record<string, string> = {};

  async function call(who: string, method: string, url: string, payload?: unknown) {
    const res = await app.inject({ method: method as 'GET', url: `/api/v1${url}`, payload: payload as string, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: (res.body ? res.json() : {}) };
  }

  /** The draft's typed benchmark results, accepted by a platform reviewer so they count. */
  async function acceptAll(version: string, who = 'boss') {
    const v = await call('sub', 'GET', `/models/flow-model/versions/${version}`);
    for (const b of v.body.benchmarks as { id: number; source: string; accepted: unknown }[]) {
      if (b.source === 'reported' && !b.accepted) expect((await call(who, 'POST', `/models/flow-model/versions/${version}/benchmarks/${b.id}/accept`, { comment: 'numbers checked against the team’s run log' })).status).toBe(200);
    }
  }

  async function draft(version: string, files: Record<string, Buffer>, extra: Record<string, unknown> = {}, accept = true) {
    await services.catalog.createVersion(
      SYS,
      'flow-model',
      VersionFields.parse({
        version,
        card: { intendedUse: 'Summarize contracts for the legal team.', limitations: 'English only.', trainingData: 'Public court filings.' },
        approvedUseCases: ['contract summarization'],
        restrictions: ['No automated legal advice to clients'],
        benchmarks: [{ suite: 'legal-qa', metric: 'accuracy', value: 0.81 }],
        ...extra,
      }),
    );
    for (const [p, body] of Object.entries(files)) {
      const u = await services.registry.startUpload(SYS, 'flow-model', version, { path: p, digest: sha(body), size: body.length });
      await services.registry.appendChunk(SYS, u.id, 0, Readable.from([body]));
    }
    await services.registry.commitFiles(SYS, 'flow-model', version);
    if (accept) await acceptAll(version);
  }

  async function stageOf(version: string, want: string) {
    for (let i = 0; i < 120; i++) {
      const r = await call('sub', 'GET', `/models/flow-model/versions/${version}/submission`);
      if (r.body.stage === want) return r.body;
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`${version} never reached ${want}`);
  }

  beforeAll(async () => {
    const t = await createTestServices(kind, { jobs: { pollSeconds: 0.5, maintenanceSeconds: 5 } });
    services = t.services;
    cleanup = t.cleanup;
    const id = services.identity;
    const admin = (await id.resolveToken(t.adminToken, 'setup'))!;
    const user = async (name: string, platformRole: 'none' | 'reviewer' | 'admin', team?: 'contributor' | 'team_lead') => {
      await id.createUser(SYS, { username: name, platformRole });
      if (team) await id.addMembership(SYS, 'alpha', name, team);
      tokens[name] = (await id.createToken(admin, { name: 't', scopes: ['read', 'write', 'deploy'] as Scope[], expiresInDays: 1, username: name })).token;
    };
    await user('sub', 'none', 'contributor');
    await user('lead1', 'none', 'team_lead');
    await user('lead2', 'none', 'team_lead');
    await user('rev1', 'reviewer');
    await user('rev2', 'reviewer');
    await user('boss', 'admin');
    await user('revdev', 'reviewer', 'contributor'); // a platform reviewer who also works in the team
    await services.catalog.createModel(SYS, { slug: 'flow-model', name: 'Flow', ownerTeam: 'alpha', description: 'A model under review', tasks: ['summarization'], domains: [], tags: [], baseModel: null });
    app = await buildApp({ services, logger: createLogger('silent'), webDir: '/nonexistent' });
    await services.jobs.start({ workers: true });
    tokens.admin = t.adminToken;
    expect((await call('admin', 'POST', '/suites', { name: 'legal-qa', task: 'question-answering', metrics: ['accuracy'] })).status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('refuses an incomplete draft, listing what is missing', async () => {
    await services.catalog.createVersion(SYS, 'flow-model', VersionFields.parse({ version: '0.9.0' }));
    const r = await call('sub', 'POST', '/models/flow-model/versions/0.9.0/submit', {});
    expect([r.status, r.body.error?.code]).toEqual([422, 'SUBMISSION_INCOMPLETE']);
    expect(r.body.error?.details?.missing).toEqual([
      'card.intendedUse',
      'card.limitations',
      'card.trainingData',
      'approvedUseCases (at least one)',
      'files (upload and commit the artifacts)',
      'a benchmark result on a registered evaluation suite, measured by Garden or accepted by a platform reviewer',
    ]);
    expect((await call('sub', 'GET', '/models/flow-model/versions/0.9.0')).body.lifecycle).toBe('draft');
  });

  it('hand-typed benchmark numbers count only once a platform reviewer (not whoever typed them) accepts them', async () => {
    await draft('0.8.0', { 'model.safetensors': safetensors() }, {}, false);
    // The team typed its own numbers (revdev, contributor of the team) on the registered suite.
    const typed = [{ suite: 'legal-qa', metric: 'accuracy', value: 0.99 }, { suite: 'legal-qa', metric: 'accuracy', value: 0.98, dataset: 'held-out' }];
    expect((await call('revdev', 'PATCH', '/models/flow-model/versions/0.8.0', { benchmarks: typed })).status).toBe(200);
    const refused = await call('sub', 'POST', '/models/flow-model/versions/0.8.0/submit', {});
    expect([refused.status, refused.body.error?.code]).toEqual([422, 'SUBMISSION_INCOMPLETE']);
    expect(refused.body.error.details.missing).toEqual([expect.stringMatching(/measured by Garden or accepted by a platform reviewer \(2 reported by the team await/)]);
    // Shown, marked as the team's; a result cannot claim to be measured.
    const v = (await call('sub', 'GET', '/models/flow-model/versions/0.8.0')).body;
    expect(v.benchmarks.map((b: { value: number; source: string; accepted: unknown; runId: unknown }) => [b.value, b.source, b.accepted, b.runId])).toEqual([
      [0.99, 'reported', null, null],
      [0.98, 'reported', null, null],
    ]);
    const forged = await call('revdev', 'PATCH', '/models/flow-model/versions/0.8.0', { benchmarks: [{ ...typed[0], source: 'measured' }] });
    expect([forged.status, forged.body.error?.code]).toEqual([400, 'INVALID_INPUT']);
    const [first] = v.benchmarks as { id: number }[];
    const accept = (who: string, id: number) => call(who, 'POST', `/models/flow-model/versions/0.8.0/benchmarks/${id}/accept`, { comment: 'checked' });
    // Not the team, not the reviewer who typed them.
    expect((await accept('sub', first!.id)).status).toBe(403);
    expect((await accept('lead1', first!.id)).status).toBe(403);
    const self = await accept('revdev', first!.id);
    expect([self.status, self.body.error?.code]).toEqual([403, 'SEPARATION_OF_DUTIES']);
    expect((await accept('rev1', 999_999)).status).toBe(404);
    const ok = await accept('rev1', first!.id);
    expect(ok.status).toBe(200);
    expect(ok.body.benchmarks[0]).toMatchObject({ source: 'reported', accepted: { by: 'rev1', at: expect.any(String) } });
    expect((await accept('rev2', first!.id)).status).toBe(409);
    // Editing something else keeps the acceptance; changing the accepted number drops it.
    expect((await call('revdev', 'PATCH', '/models/flow-model/versions/0.8.0', { license: 'apache-2.0' })).status).toBe(200);
    expect((await call('sub', 'GET', '/models/flow-model/versions/0.8.0')).body.benchmarks[0].accepted).toMatchObject({ by: 'rev1' });
    expect((await call('revdev', 'PATCH', '/models/flow-model/versions/0.8.0', { benchmarks: [{ ...typed[0], value: 0.999 }, typed[1]] })).status).toBe(200);
    const after = (await call('sub', 'GET', '/models/flow-model/versions/0.8.0')).body.benchmarks as { accepted: unknown }[];
    expect(after.map((b) => b.accepted)).toEqual([null, null]);
    expect((await call('sub', 'POST', '/models/flow-model/versions/0.8.0/submit', {})).status).toBe(422);
    // Accepted again (by another reviewer): now it counts.
    const latest = (await call('sub', 'GET', '/models/flow-model/versions/0.8.0')).body.benchmarks as { id: number }[];
    expect((await accept('rev2', latest[1]!.id)).status).toBe(200);
    expect((await call('sub', 'POST', '/models/flow-model/versions/0.8.0/submit', {})).status).toBe(200);
    expect((await call('rev1', 'POST', '/models/flow-model/versions/0.8.0/reject', { reason: 'not this one' })).status).toBe(200); // out of the queues below
    const events = (await call('admin', 'GET', '/audit?action=benchmark.accept&model=flow-model')).body.items as { actorName: string; targetId: string; details: { comment: string } }[];
    expect(events.filter((e) => e.targetId === 'flow-model@0.8.0').map((e) => [e.actorName, e.details.comment])).toEqual([
      ['rev2', 'checked'],
      ['rev1', 'checked'],
    ]);
  });

  it('takes a clean submission through scan, sign-off and approval, with separation of duties', async () => {
    await draft('1.0.0', { 'model.safetensors': safetensors(), 'config.json': Buffer.from('{"architectures":["BertModel"]}') });
    const submitted = await call('sub', 'POST', '/models/flow-model/versions/1.0.0/submit', {});
    expect([submitted.status, submitted.body.stage]).toEqual([200, 'checks']);
    expect((await call('sub', 'PATCH', '/models/flow-model/versions/1.0.0', { license: 'mit' })).status).toBe(409); // frozen once submitted
    await stageOf('1.0.0', 'awaiting_signoff');
    const report = await call('sub', 'GET', '/models/flow-model/versions/1.0.0/scan-report');
    expect((report.body.items as { path: string; verdict: string }[]).map((f) => [f.path, f.verdict])).toEqual([
      ['config.json', 'pass'],
      ['model.safetensors', 'pass'],
    ]);
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.0.0/approve', {})).body.error?.code).toBe('LIFECYCLE_TRANSITION');
    expect((await call('sub', 'POST', '/models/flow-model/versions/1.0.0/sign-off', {})).status).toBe(403);
    expect((await call('lead2', 'GET', '/reviews/queue')).body.waitingForYou).toEqual([expect.objectContaining({ version: '1.0.0', next: ['sign-off', 'reject'] })]);
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.0.0/sign-off', { comment: 'ok' })).body.stage).toBe('awaiting_approval');
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.0.0/approve', {})).status).toBe(403);
    // two reviewers approve at the same moment: exactly one succeeds
    const both = await Promise.all([call('rev1', 'POST', '/models/flow-model/versions/1.0.0/approve', {}), call('rev2', 'POST', '/models/flow-model/versions/1.0.0/approve', {})]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const v = await call('sub', 'GET', '/models/flow-model/versions/1.0.0');
    expect(v.body).toMatchObject({ lifecycle: 'approved', maturity: 'validated' });
    const history = (await call('sub', 'GET', '/models/flow-model/versions/1.0.0/history')).body.items as { action: string; actorName: string }[];
    expect(history.map((e) => `${e.action} ${e.actorName}`).filter((e) => e.startsWith('submission.'))).toEqual([
      'submission.submit sub',
      'submission.scanned system:scanner',
      'submission.sign_off lead1',
      expect.stringMatching(/^submission\.approve rev[12]$/),
    ]);
  });

  it('stops the submitter from signing off, and the signer from approving', async () => {
    await draft('1.3.0', { 'model.safetensors': safetensors() });
    await call('lead1', 'POST', '/models/flow-model/versions/1.3.0/submit', {});
    await stageOf('1.3.0', 'awaiting_signoff');
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.3.0/sign-off', {})).body.error?.code).toBe('SEPARATION_OF_DUTIES');
    expect((await call('boss', 'POST', '/models/flow-model/versions/1.3.0/sign-off', {})).status).toBe(200);
    const self = await call('boss', 'POST', '/models/flow-model/versions/1.3.0/approve', {});
    expect([self.status, self.body.error?.code]).toEqual([403, 'SEPARATION_OF_DUTIES']);
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.3.0/submission')).body.stage).toBe('awaiting_approval');
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.3.0/reject', { reason: 'benchmarks too old' })).body).toMatchObject({ stage: 'rejected', rejectReason: 'benchmarks too old' });
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.3.0')).body.lifecycle).toBe('rejected');
  });

  it('stops the submitter from approving their own submission, even as an admin after another lead signed off', async () => {
    await draft('1.4.0', { 'model.safetensors': safetensors() });
    expect((await call('boss', 'POST', '/models/flow-model/versions/1.4.0/submit', {})).status).toBe(200);
    await stageOf('1.4.0', 'awaiting_signoff');
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.4.0/sign-off', {})).body.stage).toBe('awaiting_approval');
    const own = await call('boss', 'POST', '/models/flow-model/versions/1.4.0/approve', {});
    expect([own.status, own.body.error?.code]).toEqual([403, 'SEPARATION_OF_DUTIES']);
    expect((await call('boss', 'GET', '/reviews/queue')).body.waitingForYou).not.toContainEqual(expect.objectContaining({ version: '1.4.0' }));
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.4.0/submission')).body).toMatchObject({ stage: 'awaiting_approval', submittedBy: 'boss', signedOffBy: 'lead1' });
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.4.0/approve', {})).body).toMatchObject({ stage: 'approved', approvedBy: 'rev1' });
  });

  it('needs a reviewer’s acknowledgement with a comment when the scan warns', async () => {
    await draft('1.1.0', { 'model.safetensors': safetensors(), 'extra.pkl': WARN_PICKLE }, { approvedUseCases: ['contract summarization'] });
    await call('sub', 'POST', '/models/flow-model/versions/1.1.0/submit', { evaluationOnly: true });
    const s = await stageOf('1.1.0', 'awaiting_ack');
    expect(s.scanVerdict).toBe('warn');
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.1.0/sign-off', {})).body.error?.code).toBe('LIFECYCLE_TRANSITION');
    expect((await call('lead1', 'POST', '/models/flow-model/versions/1.1.0/acknowledge', { comment: 'fine' })).status).toBe(403);
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.1.0/acknowledge', { comment: 'Record is our own dataclass' })).body.stage).toBe('awaiting_signoff');
    await call('lead1', 'POST', '/models/flow-model/versions/1.1.0/sign-off', {});
    expect((await call('rev2', 'POST', '/models/flow-model/versions/1.1.0/approve', {})).status).toBe(200);
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.1.0')).body).toMatchObject({ lifecycle: 'approved', maturity: 'experimental' });
  });

  it('rejects automatically when the scan blocks, with the findings attached', async () => {
    await draft('1.2.0', { 'model.safetensors': safetensors(), 'payload.pkl': BLOCK_PICKLE });
    await call('sub', 'POST', '/models/flow-model/versions/1.2.0/submit', {});
    const s = await stageOf('1.2.0', 'rejected');
    expect(s).toMatchObject({ scanVerdict: 'block', rejectReason: 'the security scan blocked payload.pkl' });
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.2.0')).body.lifecycle).toBe('rejected');
    const report = (await call('sub', 'GET', '/models/flow-model/versions/1.2.0/scan-report')).body.items as { path: string; findings: { code: string; severity: string }[] }[];
    expect(report.find((f) => f.path === 'payload.pkl')?.findings[0]).toMatchObject({ code: 'PICKLE_CODE_EXECUTION', severity: 'critical' });
    expect((await call('sub', 'POST', '/models/flow-model/versions/1.2.0/submit', {})).body.error?.code).toBe('LIFECYCLE_TRANSITION');
  });

  it('promotes to production only with an SLA owner and a production deployment', async () => {
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.0.0/promote', { slaOwner: 'legal-ml on-call' })).body.error?.message).toMatch(/no production deployment/);
    await services.database.db.execute(sql`INSERT INTO deployments (version_id, team, use_case, environment) SELECT v.id, 'alpha', 'contract summarization', 'production' FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.slug = 'flow-model' AND v.version = '1.0.0'`);
    expect((await call('sub', 'POST', '/models/flow-model/versions/1.0.0/promote', { slaOwner: 'x' })).status).toBe(403);
    expect((await call('rev1', 'POST', '/models/flow-model/versions/1.0.0/promote', { slaOwner: 'legal-ml on-call' })).status).toBe(200);
    expect((await call('sub', 'GET', '/models/flow-model/versions/1.0.0')).body.maturity).toBe('production');
  });

  it('applies the use policy: evaluation only when experimental, approved use cases, restrictions quoted, replacements named', async () => {
    const check = (v: string, body: unknown) => call('sub', 'POST', `/models/flow-model/versions/${v}/policy-check`, body);
    expect((await check('1.1.0', { purpose: 'deployment', useCase: 'contract summarization' })).body).toMatchObject({ allowed: false, rule: 'experimental' });
    expect((await check('1.1.0', { purpose: 'evaluation' })).body).toEqual({ allowed: true });
    expect((await check('1.0.0', { purpose: 'deployment', useCase: 'chat support' })).body).toMatchObject({ allowed: false, rule: 'use-case' });
    const r = await check('1.0.0', { purpose: 'deployment', useCase: 'contract summarization', description: 'automated legal advice to clients' });
    expect(r.body).toMatchObject({ allowed: false, rule: 'restriction', reason: expect.stringContaining('"No automated legal advice to clients"') });
    expect((await check('1.0.0', { purpose: 'deployment', useCase: 'contract summarization' })).body).toEqual({ allowed: true });
    expect((await call('rev1', 'PATCH', '/models/flow-model/versions/1.0.0', { lifecycle: 'deprecated', deprecation: { replacement: 'flow-model@1.1.0', deadline: '2027-01-31', reason: 'superseded' } })).status).toBe(200);
    expect((await check('1.0.0', { purpose: 'deployment', useCase: 'contract summarization' })).body).toMatchObject({ allowed: false, rule: 'deprecated', reason: expect.stringContaining('use flow-model@1.1.0 instead') });
    const decisions = (await call('admin', 'GET', '/audit?action=policy.decision&model=flow-model')).body.items as unknown[];
    expect(decisions.length).toBe(6);
  });

  it('refuses approving a draft and moving lifecycles around the workflow', async () => {
    expect((await call('rev1', 'POST', '/models/flow-model/versions/0.9.0/approve', {})).body.error?.code).toBe('LIFECYCLE_TRANSITION');
    expect((await call('rev1', 'PATCH', '/models/flow-model/versions/0.9.0', { lifecycle: 'approved' })).body.error?.code).toBe('LIFECYCLE_TRANSITION');
    expect((await call('sub', 'POST', '/models/flow-model/versions', { version: '5.0.0', lifecycle: 'approved' })).body.error?.code).toBe('LIFECYCLE_TRANSITION');
  });
});
