/** The signed-in user's API tokens: list, create (the secret is shown once) and revoke. */
import { requestEmpty, requestJson } from './client';

export const TOKEN_SCOPES = ['read', 'write', 'deploy', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiToken {
  id: string;
  name: string;
  username: string;
  scopes: TokenScope[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreateTokenInput {
  name: string;
  scopes: TokenScope[];
  expiresInDays: number;
}

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(t: ApiToken, now = Date.now()): TokenState {
  if (t.revokedAt) return 'revoked';
  return new Date(t.expiresAt).getTime() <= now ? 'expired' : 'active';
}

export const TOKENS_KEY = ['tokens'] as const;

export function listTokens(signal?: AbortSignal): Promise<{ items: ApiToken[] }> {
  return requestJson('/tokens', { signal });
}

export function createToken(input: CreateTokenInput): Promise<{ token: string; info: ApiToken }> {
  return requestJson('/tokens', { method: 'POST', body: input });
}

export function revokeToken(id: string): Promise<void> {
  return requestEmpty(`/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
