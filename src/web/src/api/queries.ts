/** React Query hooks over the API client. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { getAuthConfig } from './auth';
import { getModel, getVersionFiles, isApiError, searchModels } from './client';
import { getExtraction, getRegistryStats } from './registry';

/** Client errors (4xx) are answers, not glitches: retrying them only delays the message. */
export function retryTransient(count: number, err: unknown): boolean {
  return !(isApiError(err) && err.status >= 400 && err.status < 500) && count < 2;
}

export function useSearch(params: URLSearchParams) {
  const key = params.toString();
  return useQuery({
    queryKey: ['search', key],
    queryFn: ({ signal }) => searchModels(new URLSearchParams(key), signal),
    // Keep the previous results (and facets) on screen while the next page or filter loads.
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: retryTransient,
  });
}

export function useModel(slug: string) {
  return useQuery({
    queryKey: ['model', slug],
    queryFn: ({ signal }) => getModel(slug, signal),
    staleTime: 30_000,
    retry: retryTransient,
  });
}

export function useVersionFiles(slug: string, version: string) {
  return useQuery({
    queryKey: ['files', slug, version],
    queryFn: ({ signal }) => getVersionFiles(slug, version, signal),
    staleTime: 30_000,
    retry: retryTransient,
  });
}

export function useRegistryStats() {
  return useQuery({
    queryKey: ['registry-stats'],
    queryFn: ({ signal }) => getRegistryStats(signal),
    staleTime: 60_000,
    retry: retryTransient,
  });
}

/** What a version's files say; reads every header on the server, so only fetched when asked for. */
export function useExtraction(slug: string, version: string, enabled: boolean) {
  return useQuery({
    queryKey: ['extraction', slug, version],
    queryFn: ({ signal }) => getExtraction(slug, version, signal),
    enabled,
    staleTime: 5 * 60_000,
    retry: retryTransient,
  });
}

/** Kept when a user signs out (every other query is dropped): the login page reads it. */
export const AUTH_CONFIG_KEY = 'auth-config';

/** Which ways to sign in the server offers. */
export function useAuthConfig() {
  return useQuery({
    queryKey: [AUTH_CONFIG_KEY],
    queryFn: ({ signal }) => getAuthConfig(signal),
    staleTime: 5 * 60_000,
    retry: retryTransient,
  });
}
