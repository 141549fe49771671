/**
 * Secrets: API tokens (random, shown once, kept as sha256), session ids, and local passwords
 * (scrypt). Every comparison of a secret is constant-time.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const TOKEN_PREFIX = 'mgt_';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Constant-time equality of two hex digests (or any two strings of equal length). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new API token for the token row `id`: `mgt_<id without dashes>_<43 random characters>`. */
export function newToken(id: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${TOKEN_PREFIX}${id.replace(/-/g, '')}_${secret}`, secretHash: sha256(secret) };
}

/** The token id and secret of a token string, or null when it does not have the token shape. */
export function parseToken(token: string): { id: string; secret: string } | null {
  const m = /^mgt_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const h = m[1] as string;
  return { id: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`, secret: m[2] as string };
}

export const looksLikeToken = (s: string): boolean => s.startsWith(TOKEN_PREFIX);

export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a password against a stored hash; a missing hash still costs one scrypt (no timing oracle). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = stored?.split('$') ?? [];
  const salt = parts.length === 6 ? Buffer.from(parts[4] as string, 'base64url') : randomBytes(16);
  const key = await scryptAsync(password, salt);
  if (parts.length !== 6) return false;
  const want = Buffer.from(parts[5] as string, 'base64url');
  return want.length === key.length && timingSafeEqual(want, key);
}
