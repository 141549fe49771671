/** The registry endpoints the web UI uses: resumable uploads, commit, extraction, prefill, stats. */
import { requestJson } from './client';
import type { Extraction, PrefillResult, RegistryStats, UploadState, VersionFile } from './types';

const versionPath = (slug: string, version: string) => `/models/${encodeURIComponent(slug)}/versions/${encodeURIComponent(version)}`;

/** POST …/uploads: declares a file; the same path and digest again resumes where it stopped. */
export function declareUpload(
  slug: string,
  version: string,
  file: { path: string; digest: string; size: number },
  signal?: AbortSignal,
): Promise<UploadState> {
  return requestJson<UploadState>(`${versionPath(slug, version)}/uploads`, { method: 'POST', body: file, signal });
}

/** PATCH /uploads/:id: appends `chunk` at `offset` (409 with details.offset when the offset is wrong). */
export function sendChunk(id: string, offset: number, chunk: Blob, signal?: AbortSignal): Promise<UploadState> {
  return requestJson<UploadState>(`/uploads/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: chunk,
    headers: { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
    signal,
  });
}

/** GET /uploads/:id: where an upload stands, to resume after a failed chunk. */
export function getUpload(id: string, signal?: AbortSignal): Promise<UploadState> {
  return requestJson<UploadState>(`/uploads/${encodeURIComponent(id)}`, { signal });
}

/** POST …/files/commit: makes every finished upload a file of the version, all at once. */
export function commitFiles(slug: string, version: string, signal?: AbortSignal): Promise<{ items: VersionFile[] }> {
  return requestJson<{ items: VersionFile[] }>(`${versionPath(slug, version)}/files/commit`, { method: 'POST', signal });
}

/** GET …/extraction: what the committed files say about the model (nothing is changed). */
export function getExtraction(slug: string, version: string, signal?: AbortSignal): Promise<Extraction> {
  return requestJson<Extraction>(`${versionPath(slug, version)}/extraction`, { signal });
}

/** POST …/prefill: writes what the files say into the draft's empty fields only. */
export function prefillVersion(slug: string, version: string): Promise<PrefillResult> {
  return requestJson<PrefillResult>(`${versionPath(slug, version)}/prefill`, { method: 'POST' });
}

/** GET /registry/stats: bytes saved by deduplication across the catalog. */
export function getRegistryStats(signal?: AbortSignal): Promise<RegistryStats> {
  return requestJson<RegistryStats>('/registry/stats', { signal });
}
