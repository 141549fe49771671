/**
 * Who is calling: resolves `Authorization: Bearer <token>` or the session cookie to an actor on
 * every request (`req.actor`; anonymous otherwise), enforces CSRF for cookie-authenticated
 * writes, slows down credential guessing, and sets security headers. Deciding what the actor may
 * do is the services' job; this layer only identifies.
 *
 * Failure limits: a credential is always checked, and a valid one is never refused because of
 * failures (an address shared through NAT is not locked out by one bad client). Failures are
 * counted per client address and per presented credential (a token; for passwords, the
 * username) separately. Once an address (or a repeated bad token) is over its limit, its further
 * failures are answered 429 with Retry-After instead of 401. Password sign-in also stops checking
 * passwords for a username after too many failures on it (routes/auth.ts): that caps guessing one
 * account from any number of addresses.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appendAudit } from '../audit/index.js';
import { AppError } from '../core/errors.js';
import { ANONYMOUS, type Actor } from '../identity/index.js';
import { sameSecret, sha256 } from '../identity/secrets.js';
import type { Services } from './services.js';

export const SESSION_COOKIE = 'garden_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Failed credential attempts per client address per minute before its failures are answered 429. */
const ADDRESS_FAILURES_PER_MINUTE = 20;
/** Failures of one presented credential per minute: the same bad token, or sign-ins to one username. */
const CREDENTIAL_FAILURES_PER_MINUTE = 10;

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** The session's CSRF token, when the request came with a session cookie. */
    csrfToken: string | null;
    sessionSecret: string | null;
  }
}

/** A sliding one-minute count of failures per key. */
export interface FailureCounter {
  /** Whether `key` already failed `limit` times in the last minute. */
  over(key: string): boolean;
  fail(key: string): void;
}

/** Forgets the least recently failed keys beyond `maxKeys`. */
function failureCounter(limit: number, maxKeys = 10_000): FailureCounter {
  const hits = new Map<string, number[]>();
  const recent = (key: string, now: number) => (hits.get(key) ?? []).filter((t) => now - t < 60_000);
  return {
    over(key: string): boolean {
      return recent(key, Date.now()).length >= limit;
    },
    fail(key: string): void {
      const now = Date.now();
      const list = recent(key, now);
      list.push(now);
      hits.delete(key); // re-insert: Map order is insertion order, the oldest key is evicted first
      hits.set(key, list);
      if (hits.size > maxKeys) hits.delete(hits.keys().next().value as string);
    },
  };
}

/** Failure counts for rate limiting, kept apart so a flood of one kind never evicts the other. */
export interface AuthFailures {
  address: FailureCounter;
  credential: FailureCounter;
}

export function cookieOptions(expires?: Date) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: 'auto' as const, ...(expires ? { expires } : {}) };
}

export async function installAuth(app: FastifyInstance, services: Services): Promise<void> {
  const { identity } = services;
  const failures: AuthFailures = { address: failureCounter(ADDRESS_FAILURES_PER_MINUTE), credential: failureCounter(CREDENTIAL_FAILURES_PER_MINUTE) };

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    // The web UI's styles are injected at run time (Mantine); scripts only from this origin, plus
    // WebAssembly (the browser hashes uploads with hash-wasm; this allows no JavaScript eval).
    // No upgrade-insecure-requests: on-premises installations are often plain http.
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
        upgradeInsecureRequests: null,
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
  });

  // A getter/setter pair: Fastify refuses an object as a request decorator's default value.
  const ACTOR = Symbol('actor');
  type WithActor = FastifyRequest & { [ACTOR]?: Actor };
  app.decorateRequest('actor', {
    getter(this: FastifyRequest) {
      return (this as WithActor)[ACTOR] ?? ANONYMOUS;
    },
    setter(this: FastifyRequest, value: Actor) {
      (this as WithActor)[ACTOR] = value;
    },
  });
  app.decorateRequest('csrfToken', null);
  app.decorateRequest('sessionSecret', null);

  app.addHook('onRequest', async (req, reply) => {
    const ip = req.ip;
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      // Hugging Face clients insist on an hf_ prefix (HF_TOKEN=hf_<garden token>): it is dropped.
      const given = (m?.[1] ?? '').replace(/^hf_/, '');
      // Checked first: a valid token gets in whatever failed from this address before.
      const actor = m ? await identity.resolveToken(given, `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`) : null;
      if (!actor) {
        // Per credential: the same bad token again and again (a client that kept a revoked one).
        const credential = m ? `token:${sha256(given)}` : null;
        const limited = failures.address.over(ip) || (credential !== null && failures.credential.over(credential));
        failures.address.fail(ip);
        if (credential) failures.credential.fail(credential);
        if (limited) throw new AppError('RATE_LIMITED', 'too many failed sign-in or token attempts from this address; retry in a minute');
        throw new AppError('UNAUTHENTICATED', m ? 'the API token is unknown, expired or revoked' : 'Authorization must be "Bearer <token>"');
      }
      req.actor = actor;
      return;
    }
    const secret = req.cookies[SESSION_COOKIE];
    if (!secret) return;
    const s = await identity.resolveSession(secret);
    if (!s) {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return;
    }
    req.actor = s.actor;
    req.csrfToken = s.csrfToken;
    req.sessionSecret = secret;
    if (!SAFE_METHODS.has(req.method)) {
      const given = req.headers['x-csrf-token'];
      if (typeof given !== 'string' || !sameSecret(given, s.csrfToken)) {
        throw new AppError('CSRF', 'this request needs the x-csrf-token header of your session (reload the page)');
      }
    }
  });

  // The API description and Swagger UI are not for anonymous callers either (services guard the rest).
  app.addHook('onRequest', async (req) => {
    if (req.actor.kind === 'anonymous' && /^\/(docs(\/|$)|api\/v1\/openapi\.json)/.test(req.url)) {
      throw new AppError('UNAUTHENTICATED', 'sign in or send an API token (Authorization: Bearer <token>)');
    }
  });

  /** Counts failed sign-ins for rate limiting (routes/auth.ts). */
  app.decorate('authFailures', failures);
}

/** Records a refused request in the audit trail (its own transaction: the refused work rolled back). */
export async function auditDenial(services: Services, req: FastifyRequest, err: AppError): Promise<void> {
  const route = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
  const params = (req.params ?? {}) as Record<string, unknown>;
  const slug = typeof params.slug === 'string' ? params.slug : null;
  await services.database.db.transaction(async (tx) => {
    await appendAudit(tx, req.actor, {
      action: 'access.denied',
      targetType: 'route',
      targetId: route,
      modelSlug: slug,
      details: { code: err.code, message: err.message, ...(err.details?.need ? { need: err.details.need } : {}), ip: req.ip },
    });
  });
}

export function setSessionCookie(reply: FastifyReply, secret: string, expires: Date): void {
  void reply.setCookie(SESSION_COOKIE, secret, cookieOptions(expires));
}

declare module 'fastify' {
  interface FastifyInstance {
    authFailures: AuthFailures;
  }
}
