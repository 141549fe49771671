/** The sign-in endpoints: who is signed in, local login and logout, and which ways to sign in exist. */
import { isApiError, requestEmpty, requestJson } from './client';
import { setCsrfToken } from './session';
import type { AuthConfig, Me } from './types';

/** Where the browser goes to sign in with the organisation's identity provider. */
export const OIDC_START_URL = '/api/v1/auth/oidc/start';

/** GET /me: the signed-in user, or ApiError 401 when nobody is. Keeps the session's CSRF token. */
export async function getMe(signal?: AbortSignal): Promise<Me> {
  const me = await requestJson<Me>('/me', { signal, authCall: true });
  setCsrfToken(me.csrfToken);
  return me;
}

/** POST /auth/login: starts a session (the server sets the cookie). Wrong credentials: ApiError 401. */
export async function login(username: string, password: string): Promise<Me> {
  const me = await requestJson<Me>('/auth/login', { method: 'POST', body: { username, password }, authCall: true });
  setCsrfToken(me.csrfToken);
  return me;
}

/** POST /auth/logout: ends the session and clears the cookie. */
export async function logout(): Promise<void> {
  await requestEmpty('/auth/logout', { method: 'POST', authCall: true });
  setCsrfToken(null);
}

const LOCAL_ONLY: AuthConfig = { oidc: { enabled: false, label: '' }, local: true };

/** GET /auth/config; a server that does not have it (404) offers the local form only. */
export async function getAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  try {
    return await requestJson<AuthConfig>('/auth/config', { signal, authCall: true });
  } catch (err) {
    if (isApiError(err) && err.status === 404) return LOCAL_ONLY;
    throw err;
  }
}
