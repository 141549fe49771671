/**
 * A failed single sign-on comes back as `/?signin_error=<code>` (codes in src/identity/oidc.ts):
 * what each code means to the user, and reading the code once (then dropping it from the address bar).
 */

export const SIGNIN_ERROR_MESSAGES: Record<string, string> = {
  state: 'The sign-in took too long or was started in another tab; try again.',
  provider: 'The identity provider refused or cancelled the sign-in.',
  token: "The identity provider's answer could not be verified.",
  disabled: 'Your account is disabled; ask your platform team.',
  unavailable: 'The identity provider could not be reached.',
  rate_limited: 'Too many attempts; wait a minute and try again.',
};

export const SIGNIN_ERROR_PARAM = 'signin_error';

/** The message for the address bar's `signin_error`, or null; an unknown code gets a generic message. */
export function signinErrorMessage(search: string): string | null {
  const code = new URLSearchParams(search).get(SIGNIN_ERROR_PARAM);
  if (code === null) return null;
  return Object.hasOwn(SIGNIN_ERROR_MESSAGES, code) ? (SIGNIN_ERROR_MESSAGES[code] ?? null) : 'Single sign-on did not succeed; try again.';
}

/** The current address without `signin_error` (path, the other parameters and the hash kept). */
export function withoutSigninError(loc: Pick<Location, 'pathname' | 'search' | 'hash'>): string {
  const params = new URLSearchParams(loc.search);
  params.delete(SIGNIN_ERROR_PARAM);
  const qs = params.toString();
  return `${loc.pathname}${qs ? `?${qs}` : ''}${loc.hash}`;
}
