/**
 * Model files: resumable uploads into a draft version, committed all at once, stored once per
 * content digest (deduplicated across versions and models).
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { Readable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { queryRows, schema, type Db } from '../core/db/index.js';
import { AppError, notFound } from '../core/errors.js';
import { CATALOG_CHANNEL, resolveVersion, seesVersion, visibleSql } from '../catalog/index.js';
import { appendAudit } from '../audit/index.js';
import { actorRef, isAdmin, requireScope, requireTeamRole, seesUnpublished, type Actor } from '../identity/index.js';
import { formatOf, isServedPath, joinInside, pathProblem, PATH_PROBLEM_TEXT, validateFilePaths, type FileFormat } from './file-paths.js';
import { DIGEST_RE, type ArtifactStore, type ByteRange, type Digest } from './ports/artifact-store.js';
import type { UploadStaging } from './staging.js';
import { ExtractError } from './extract/errors.js';
import { extractFromFile, extractFromFolder, type Extraction } from './extract/extract.js';
import { materializeVersion } from './materialize.js';

const { blobs, versionFiles, uploads, downloads, models, modelVersions, teams } = schema;

/** Versions with their owner team, under the aliases visibleSql expects (f: the version's files). */
const VISIBLE_FILES = sql`version_files f JOIN model_versions v ON v.id = f.version_id JOIN models m ON m.id = v.model_id JOIN teams t ON t.id = m.owner_team_id`;

/** Advisory lock key shared by uploads (shared mode) and blob garbage collection (exclusive). */
const GC_LOCK = 7_470_000_001;

export interface RegistryDeps {
  db: Db;
  store: ArtifactStore;
  staging: UploadStaging;
  /** Largest file accepted, in bytes. */
  maxFileBytes: number;
  /** How long an unfinished upload is kept after its last chunk. */
  uploadTtlMs: number;
  /** A folder on the staging disk for short-lived work (server-side extraction). */
  scratchDir: string;
  now?: () => Date;
}

export interface UploadState {
  id: string;
  path: string;
  digest: Digest;
  size: number;
  /** Bytes received so far: the offset the next chunk must start at. */
  offset: number;
  complete: boolean;
  /**
   * A version the caller may read already has these bytes: no bytes needed. Only then: bytes
   * another team's draft holds must be sent (and are stored once all the same), so the answer
   * never tells whether a blob exists.
   */
  deduplicated: boolean;
}

export interface VersionFile {
  path: string;
  digest: string;
  size: number;
  format: FileFormat;
  /** Where the blob lives in the store (a server path, a bucket key): for admins only. */
  location?: string;
  /** Another version the caller may see (of this or another model) has the same bytes: stored once. */
  shared: boolean;
}

export function createRegistryService(deps: RegistryDeps) {
  const { db, store, staging } = deps;
  const now = deps.now ?? (() => new Date());
  const expiry = () => new Date(now().getTime() + deps.uploadTtlMs);
  /** Running sha256 of uploads whose every byte reached this process in order. */
  const hashes = new Map<string, { hash: Hash; offset: number }>();
  /** Uploads a request is appending to now (one at a time per upload). */
  const appending = new Set<string>();

  /** A version the actor may see (drafts: its team, reviewers, admins), else NOT_FOUND. */
  async function visibleVersion(actor: Actor, slug: string, version: string) {
    requireScope(actor, 'read');
    const v = await resolveVersion(db, slug, version);
    if (!v || !seesVersion(actor, v.ownerTeam, v.lifecycle)) throw notFound(`version ${slug}@${version}`, { slug, version });
    return v;
  }

  async function draftVersion(actor: Actor, slug: string, version: string) {
    const v = await visibleVersion(actor, slug, version);
    requireTeamRole(actor, v.ownerTeam, 'contributor', 'upload files');
    if (v.lifecycle !== 'draft') {
      throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} is ${v.lifecycle}: files can only be added to a draft`, {
        lifecycle: v.lifecycle,
      });
    }
    return v;
  }

  async function state(row: typeof uploads.$inferSelect): Promise<UploadState> {
    const complete = row.state === 'complete';
    return {
      id: row.id,
      path: row.path,
      digest: row.digest as Digest,
      size: row.size,
      offset: complete ? row.size : await staging.length(row.id),
      complete,
      deduplicated: row.deduplicated,
    };
  }

  /**
   * Starts (or resumes) the upload of one file of a draft version. The same path with the same
   * digest resumes the unfinished upload. Declaring a digest proves nothing, so no bytes are
   * needed only when a version the actor may read already has the file (as an OCI registry mounts
   * a blob only from a repository the client can pull); otherwise the bytes are sent and verified,
   * and stored once all the same. The answer is the same whether the store held the blob or not.
   */
  async function startUpload(actor: Actor, slug: string, version: string, file: { path: string; digest: string; size: number }): Promise<UploadState> {
    validateFilePaths([file.path]);
    if (!DIGEST_RE.test(file.digest)) throw new AppError('INVALID_INPUT', 'digest must be sha256:<64 hex digits>');
    if (!Number.isSafeInteger(file.size) || file.size < 0) throw new AppError('INVALID_INPUT', 'size must be a whole number of bytes');
    if (file.size > deps.maxFileBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `files are limited to ${deps.maxFileBytes} bytes`, { limit: deps.maxFileBytes });
    }
    const v = await draftVersion(actor, slug, version);
    const digest = file.digest as Digest;
    return db.transaction(async (tx) => {
      // Shared with other uploads, exclusive with garbage collection: a blob found here cannot be
      // collected before this upload (which then references it) commits.
      await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${GC_LOCK})`);
      const [readable] = await queryRows<{ yes: boolean }>(
        tx,
        sql`SELECT EXISTS (SELECT 1 FROM ${VISIBLE_FILES} WHERE f.digest = ${digest} AND f.size = ${file.size} AND ${visibleSql(actor)}) AS yes`,
      );
      const [blob] = readable?.yes ? await tx.select().from(blobs).where(eq(blobs.digest, digest)) : [];
      const known = blob?.size === file.size && (await store.head(digest))?.size === file.size;
      const [existing] = await tx
        .select()
        .from(uploads)
        .where(and(eq(uploads.versionId, v.id), eq(uploads.path, file.path)));
      if (existing && existing.digest === digest && existing.size === file.size) return state(existing);
      // The version's other paths (committed and in flight): no case-insensitive duplicate, no
      // more than the file limit.
      const others = await queryRows<{ path: string }>(
        tx,
        sql`SELECT path FROM version_files WHERE version_id = ${v.id} AND path <> ${file.path}
            UNION SELECT path FROM uploads WHERE version_id = ${v.id} AND path <> ${file.path}`,
      );
      validateFilePaths([...new Set(others.map((o) => o.path)), file.path]);
      if (existing) {
        await tx.delete(uploads).where(eq(uploads.id, existing.id));
        await staging.remove(existing.id);
      }
      if (known) await tx.insert(blobs).values({ digest, size: file.size }).onConflictDoNothing();
      const [row] = await tx
        .insert(uploads)
        .values({
          id: randomUUID(),
          versionId: v.id,
          path: file.path,
          digest,
          size: file.size,
          state: known ? 'complete' : 'open',
          deduplicated: known,
          expiresAt: expiry(),
        })
        .returning();
      if (!row) throw new Error('insert returned nothing');
      return state(row);
    });
  }

  /** An upload of a draft the actor may write to (anyone else's is "not found"). */
  async function findUpload(actor: Actor, id: string) {
    const [found] = await db
      .select({ u: uploads, team: teams.slug })
      .from(uploads)
      .innerJoin(modelVersions, eq(modelVersions.id, uploads.versionId))
      .innerJoin(models, eq(models.id, modelVersions.modelId))
      .innerJoin(teams, eq(teams.id, models.ownerTeamId))
      .where(eq(uploads.id, id));
    if (!found || found.u.expiresAt < now() || !seesUnpublished(actor, found.team)) throw notFound(`upload ${id}`, { id });
    requireTeamRole(actor, found.team, 'contributor', 'upload files');
    return found.u;
  }

  async function uploadStatus(actor: Actor, id: string): Promise<UploadState> {
    return state(await findUpload(actor, id));
  }

  /**
   * Appends a chunk at `offset`. When the last byte arrives, the whole file is verified against
   * its declared size and digest and moved into the artifact store.
   */
  async function appendChunk(actor: Actor, id: string, offset: number, body: Readable): Promise<UploadState> {
    const row = await findUpload(actor, id);
    if (row.state === 'complete') {
      body.resume();
      return state(row);
    }
    if (appending.has(id)) {
      body.resume();
      throw new AppError('CONFLICT', 'another request is sending bytes to this upload right now; ask for its offset and resume after it');
    }
    appending.add(id);
    let length: number;
    let running = hashes.get(id);
    try {
      // Hash while the bytes arrive when this process has seen every byte so far, in order.
      if (offset === 0) hashes.set(id, (running = { hash: createHash('sha256'), offset: 0 }));
      const r = running?.offset === offset ? running : undefined;
      if (!r) hashes.delete(id);
      length = await staging.append(id, offset, body, row.size, r ? (c) => (r.hash.update(c), (r.offset += c.length)) : undefined);
      if (r && r.offset !== length) hashes.delete(id);
    } catch (err) {
      hashes.delete(id);
      throw err;
    } finally {
      appending.delete(id);
    }
    // Keep the upload alive; once a minute is plenty against a lifetime of hours.
    if (length < row.size && now().getTime() - row.updatedAt.getTime() > 60_000) {
      await db.update(uploads).set({ updatedAt: now(), expiresAt: expiry() }).where(eq(uploads.id, id));
    }
    if (length < row.size) return { ...(await state(row)), offset: length };
    const hashed = hashes.get(id);
    hashes.delete(id);
    try {
      const digest = hashed && `sha256:${hashed.hash.digest('hex')}`;
      if (digest && digest !== row.digest) {
        throw new AppError('DIGEST_MISMATCH', `the bytes have digest ${digest}, not ${row.digest}`, { expected: row.digest, actual: digest });
      }
      // Move the staged file into the store when it can take it over; otherwise stream a copy.
      if (store.adopt) await store.adopt(row.digest as Digest, staging.pathOf(id), row.size, { verified: digest === row.digest });
      else await store.put(row.digest as Digest, staging.read(id), row.size);
    } catch (err) {
      // The staged bytes are wrong (digest) or unusable: start this file again from zero.
      await staging.remove(id);
      throw err;
    }
    await db.transaction(async (tx) => {
      await tx.insert(blobs).values({ digest: row.digest, size: row.size }).onConflictDoNothing();
      await tx.update(uploads).set({ state: 'complete', updatedAt: now() }).where(eq(uploads.id, id));
    });
    await staging.remove(id);
    return { ...(await state({ ...row, state: 'complete' })) };
  }

  /**
   * Makes the finished uploads of a draft version its files, all at once (one transaction). An
   * upload still in flight makes the commit fail and changes nothing. Stores that publish versions
   * (OCI) get the version's manifest pushed before the transaction commits: if that fails, the
   * files stay uncommitted and the commit can simply be retried.
   */
  async function commitFiles(actor: Actor, slug: string, version: string): Promise<VersionFile[]> {
    const v = await draftVersion(actor, slug, version);
    await db.transaction(async (tx) => {
      const pending = await tx.select().from(uploads).where(eq(uploads.versionId, v.id));
      if (pending.length === 0) throw new AppError('INVALID_INPUT', 'nothing to commit: no finished uploads for this version');
      const open = pending.filter((u) => u.state !== 'complete');
      if (open.length) {
        throw new AppError('CONFLICT', `${open.length} upload(s) have not finished`, { paths: open.map((u) => u.path).slice(0, 50) });
      }
      // Uploads declared before today's path rules (a .git/config) are refused here too.
      validateFilePaths(pending.map((u) => u.path));
      for (const u of pending) {
        await tx
          .insert(versionFiles)
          .values({ versionId: v.id, path: u.path, digest: u.digest, size: u.size, format: formatOf(u.path) })
          .onConflictDoUpdate({
            target: [versionFiles.versionId, versionFiles.path],
            set: { digest: u.digest, size: u.size, format: formatOf(u.path) },
          });
      }
      await tx.delete(uploads).where(eq(uploads.versionId, v.id));
      await appendAudit(tx, actor, { action: 'version.files_commit', targetType: 'version', targetId: `${slug}@${version}`, modelSlug: slug, details: { files: pending.length, bytes: pending.reduce((n, u) => n + u.size, 0) } });
      if (store.publishVersion) {
        const files = await tx.select().from(versionFiles).where(eq(versionFiles.versionId, v.id));
        const [info] = await tx
          .select({ name: models.name, description: models.description, license: modelVersions.license, architecture: modelVersions.architecture, createdAt: modelVersions.createdAt })
          .from(modelVersions)
          .innerJoin(models, eq(models.id, modelVersions.modelId))
          .where(eq(modelVersions.id, v.id));
        const ref = await store.publishVersion({
          slug,
          version,
          // OCI tools write layers out by their title: never a path the registry refuses.
          files: files.filter((f) => isServedPath(f.path)).map((f) => ({ path: f.path, digest: f.digest as Digest, size: f.size, format: f.format })),
          info: {
            title: info?.name,
            description: info?.description ?? undefined,
            licenses: info?.license ? [info.license] : undefined,
            family: info?.architecture ?? undefined,
            createdAt: info?.createdAt.toISOString(),
          },
        });
        await tx.update(modelVersions).set({ artifactManifest: ref }).where(eq(modelVersions.id, v.id));
        await tx.execute(sql`SELECT pg_notify(${CATALOG_CHANNEL}, '')`);
      }
    });
    return listFiles(actor, slug, version);
  }

  /**
   * A version's files (or the one at `filePath`) as `actor` may know them: sharing only with
   * versions the actor sees, the backend location for admins only. Paths the registry refuses
   * (VCS metadata and the like, stored before the rule) are neither listed nor served.
   */
  async function fileRows(actor: Actor, versionId: number, filePath?: string): Promise<VersionFile[]> {
    if (filePath !== undefined && !isServedPath(filePath)) return [];
    const rows = await db
      .select({
        path: versionFiles.path,
        digest: versionFiles.digest,
        size: versionFiles.size,
        format: versionFiles.format,
        shared: sql<boolean>`EXISTS (SELECT 1 FROM ${VISIBLE_FILES} WHERE f.digest = version_files.digest AND f.version_id <> version_files.version_id AND ${visibleSql(actor)})`,
      })
      .from(versionFiles)
      .where(filePath === undefined ? eq(versionFiles.versionId, versionId) : and(eq(versionFiles.versionId, versionId), eq(versionFiles.path, filePath)))
      .orderBy(versionFiles.path);
    const admin = isAdmin(actor);
    return rows
      .filter((r) => isServedPath(r.path))
      .map((r) => ({
        path: r.path,
        digest: r.digest,
        size: r.size,
        format: r.format as FileFormat,
        ...(admin ? { location: store.location(r.digest as Digest) } : {}),
        shared: Boolean(r.shared),
      }));
  }

  async function listFiles(actor: Actor, slug: string, version: string): Promise<VersionFile[]> {
    return fileRows(actor, (await visibleVersion(actor, slug, version)).id);
  }

  /** One file of a version, or null when the version has no such path. */
  async function getFile(actor: Actor, slug: string, version: string, filePath: string): Promise<VersionFile | null> {
    const [f] = await fileRows(actor, (await visibleVersion(actor, slug, version)).id, filePath);
    return f ?? null;
  }

  /**
   * Opens one file of a version for download, or a byte range of it: `range` is a range, or a
   * function that chooses one once the file's size is known (it may throw to refuse the request).
   * Retired versions are not served: their files stay stored for audit but nobody can pull them.
   */
  async function openFile(
    actor: Actor,
    slug: string,
    version: string,
    filePath: string,
    range?: ByteRange | ((size: number) => ByteRange | null),
    who: { channel: 'api' | 'hf'; userAgent?: string | null; record?: boolean } = { channel: 'api' },
  ) {
    const v = await visibleVersion(actor, slug, version);
    if (v.lifecycle === 'retired') {
      throw new AppError('LIFECYCLE_TRANSITION', `${slug}@${version} is retired and can no longer be downloaded`);
    }
    const refused = pathProblem(filePath);
    if (refused) {
      throw new AppError('NOT_FOUND', `file ${filePath.slice(0, 200)} of ${slug}@${version} is never served: ${PATH_PROBLEM_TEXT[refused]}`, { path: filePath.slice(0, 200), reason: refused });
    }
    const [f] = await db
      .select()
      .from(versionFiles)
      .where(and(eq(versionFiles.versionId, v.id), eq(versionFiles.path, filePath)));
    if (!f) throw notFound(`file ${filePath} of ${slug}@${version}`, { path: filePath });
    const served = (typeof range === 'function' ? range(f.size) : range) ?? undefined;
    const stream = await store.get(f.digest as Digest, served);
    // Recorded when the download starts; a range request records the bytes it asked for.
    if (who.record !== false) await db.insert(downloads).values({
      versionId: v.id,
      path: f.path,
      bytes: served ? served.end - served.start + 1 : f.size,
      channel: who.channel,
      actor: actorRef(actor).name,
      userAgent: who.userAgent?.slice(0, 200) ?? null,
    });
    return { file: { path: f.path, digest: f.digest, size: f.size }, range: served, stream };
  }

  /**
   * Reads what a version's committed files say about the model (headers only), as `garden push`
   * does on the client; for files uploaded from a browser, which has no extractor.
   */
  async function extractVersion(actor: Actor, slug: string, version: string): Promise<Extraction> {
    const v = await visibleVersion(actor, slug, version);
    const files = (await db.select().from(versionFiles).where(eq(versionFiles.versionId, v.id))).filter((f) => isServedPath(f.path));
    if (files.length === 0) throw new AppError('INVALID_INPUT', `${slug}@${version} has no files yet: upload and commit them first`);
    const { dir, notes, cleanup } = await materializeVersion(store, files, deps.scratchDir);
    try {
      const x = files.length === 1 && files[0] && !files[0].path.includes('/') ? await extractFromFile(`${dir}/${files[0].path}`) : await extractFromFolder(dir);
      return { ...x, notes: [...notes, ...x.notes] };
    } catch (err) {
      if (err instanceof ExtractError) throw new AppError('INVALID_INPUT', `the files could not be read as a model: ${err.message}`, { reason: err.code });
      throw err;
    } finally {
      await cleanup();
    }
  }

  /** Downloads of a version, newest first (for the usage analytics to come). */
  async function listDownloads(actor: Actor, slug: string, version: string, limit = 100) {
    const v = await visibleVersion(actor, slug, version);
    return db
      .select({ path: downloads.path, bytes: downloads.bytes, channel: downloads.channel, actor: downloads.actor, at: downloads.at })
      .from(downloads)
      .where(eq(downloads.versionId, v.id))
      .orderBy(desc(downloads.at), desc(downloads.id))
      .limit(limit);
  }

  /**
   * Runs `fn` on a scratch folder holding complete copies of a version's committed files (the
   * filesystem store hard-links its blobs), for the security scan; the folder is removed after.
   * Every file is there, refused paths (a .git/config stored before the rule) included, so the
   * scan covers exactly the version's files; no stored path can land outside the folder.
   */
  async function withVersionFolder<T>(versionId: number, fn: (dir: string, files: { path: string; digest: string; size: number }[]) => Promise<T>): Promise<T> {
    const files = await db.select().from(versionFiles).where(eq(versionFiles.versionId, versionId));
    const dir = path.join(deps.scratchDir, `scan-${randomUUID()}`);
    try {
      for (const f of files) {
        const target = joinInside(dir, f.path, { allowRefusedNames: true });
        await mkdir(path.dirname(target), { recursive: true });
        const local = store.localPath?.(f.digest as Digest);
        const linked = local ? await link(local, target).then(() => true, () => false) : false;
        if (!linked) await pipeline(await store.get(f.digest as Digest), createWriteStream(target));
      }
      return await fn(dir, files);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Stores a small file that is not a model file (an evaluation dataset) as a blob: bytes first,
   * then the row, so a row never names missing bytes. The caller references it in its own table
   * in the same unit of work, which keeps the collector off it.
   */
  async function putSmallBlob(bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (!(await store.head(digest))) await store.put(digest, Readable.from([bytes]), bytes.length);
    await db.insert(blobs).values({ digest, size: bytes.length }).onConflictDoNothing();
    return { digest, size: bytes.length };
  }

  /**
   * Gives a version files the server generated itself (the demo catalog's small real models):
   * bytes stored first, then every file row in one transaction. Only for system actors.
   */
  async function attachGeneratedFiles(actor: Actor, versionId: number, files: { path: string; bytes: Buffer }[]): Promise<void> {
    if (actor.kind !== 'system') throw new AppError('FORBIDDEN', 'only the server attaches generated files');
    validateFilePaths(files.map((f) => f.path));
    const stored: { path: string; digest: string; size: number }[] = [];
    for (const f of files) stored.push({ path: f.path, ...(await putSmallBlob(f.bytes)) });
    await db.transaction(async (tx) => {
      for (const f of stored) {
        await tx
          .insert(versionFiles)
          .values({ versionId, path: f.path, digest: f.digest, size: f.size, format: formatOf(f.path) })
          .onConflictDoUpdate({ target: [versionFiles.versionId, versionFiles.path], set: { digest: f.digest, size: f.size, format: formatOf(f.path) } });
      }
      await appendAudit(tx, actor, { action: 'version.files_commit', targetType: 'version', targetId: String(versionId), details: { files: stored.length, generated: true } });
    });
  }

  /** The bytes of a small blob (datasets), whole. */
  async function readSmallBlob(digest: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await store.get(digest as Digest)) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks);
  }

  /**
   * Bytes the versions `actor` may see would take without deduplication, and what they take.
   * Counted over those versions only: catalog-wide numbers would change when a new upload matches
   * a blob of another team's draft, and so tell that it exists.
   */
  async function storageStats(actor: Actor): Promise<{ referencedBytes: number; storedBytes: number; savedBytes: number }> {
    requireScope(actor, 'read');
    const [row] = await queryRows<{ referenced: number; stored: number }>(
      db,
      sql`WITH seen AS (SELECT f.digest, f.size FROM ${VISIBLE_FILES} WHERE ${visibleSql(actor)})
          SELECT coalesce((SELECT sum(size) FROM seen), 0)::float8 AS referenced,
                 coalesce((SELECT sum(size) FROM (SELECT DISTINCT digest, size FROM seen) d), 0)::float8 AS stored`,
    );
    const referenced = Number(row?.referenced ?? 0);
    const stored = Number(row?.stored ?? 0);
    return { referencedBytes: referenced, storedBytes: stored, savedBytes: referenced - stored };
  }

  /**
   * Deletes blobs that no version file and no upload references, once they are older than
   * `graceMs`. Rows and bytes go in one transaction under the exclusive lock, so no upload can
   * start deduplicating against a blob while it is being removed (uploads take the lock shared).
   * A crash midway rolls the rows back: at worst an unreferenced row whose bytes are gone, which
   * the next upload of that digest repairs (deduplication checks the bytes too).
   */
  async function collectGarbage(graceMs = 60 * 60 * 1000): Promise<{ blobs: number; bytes: number }> {
    const cutoff = new Date(now().getTime() - graceMs);
    const doomed = await db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${GC_LOCK})`);
      const rows = await queryRows<{ digest: string; size: number }>(
        tx,
        sql`DELETE FROM blobs b
             WHERE b.created_at < ${cutoff.toISOString()}::timestamptz
               AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.digest = b.digest)
               AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.digest = b.digest)
               AND NOT EXISTS (SELECT 1 FROM evaluation_suites s WHERE s.dataset_digest = b.digest)
           RETURNING b.digest, b.size::float8 AS size`,
      );
      for (const d of rows) await store.delete(d.digest as Digest);
      return rows;
    });
    return { blobs: doomed.length, bytes: doomed.reduce((s, d) => s + Number(d.size), 0) };
  }

  /** Removes uploads whose client went away (rows and staged bytes). Returns how many. */
  async function reapExpiredUploads(): Promise<number> {
    const gone = await db.delete(uploads).where(lt(uploads.expiresAt, now())).returning({ id: uploads.id });
    for (const g of gone) {
      hashes.delete(g.id);
      await staging.remove(g.id);
    }
    const live = new Set((await db.select({ id: uploads.id }).from(uploads)).map((u) => u.id));
    for (const id of await staging.list()) if (!live.has(id)) await staging.remove(id);
    return gone.length;
  }

  return {
    putSmallBlob,
    attachGeneratedFiles,
    readSmallBlob,
    withVersionFolder,
    startUpload,
    uploadStatus,
    appendChunk,
    commitFiles,
    listFiles,
    openFile,
    getFile,
    extractVersion,
    listDownloads,
    storageStats,
    reapExpiredUploads,
    collectGarbage,
  };
}

export type RegistryService = ReturnType<typeof createRegistryService>;
