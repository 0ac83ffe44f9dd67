/**
 * Bearer auth. The operator token (ADMIN_TOKEN) manages tenants and keys; API keys (`hk_…`,
 * stored as SHA-256) carry scopes and belong to one tenant.
 */
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { sha256Hex, timingSafeEqual } from "../../core/crypto";
import { KEY_CACHE_MAX, KEY_CACHE_MS, KEY_TOUCH_INTERVAL_MS } from "../../core/policy";
import type { Scope } from "../../core/schemas";
import { db } from "../../db/hooks";
import { apiKeys, tenants } from "../../db/schema";
import { forbidden, unauthorized } from "../../errors";
import { background } from "../background";
import type { AppEnv } from "../types";

export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

export const operatorAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token || !c.env.ADMIN_TOKEN || !timingSafeEqual(token, c.env.ADMIN_TOKEN)) {
    throw unauthorized("This route needs the operator token.");
  }
  await next();
});

export interface KeyIdentity {
  keyId: string;
  tenantId: string;
  scopes: Scope[];
  strictTypes: boolean;
}

/**
 * Keys seen by this isolate, by hash, for KEY_CACHE_MS: publishing is then one queue write, not a
 * D1 read per request. A revocation is immediate in the isolate that handles it and takes at most
 * KEY_CACHE_MS elsewhere.
 */
const keyCache = new Map<string, { who: KeyIdentity; until: number }>();

export function forgetKey(keyId: string) {
  for (const [hash, entry] of keyCache) if (entry.who.keyId === keyId) keyCache.delete(hash);
}

/** The live (not revoked) API key behind `token`, or null. Refreshes last_used_at at most hourly. */
export async function authenticateKey(c: Context<AppEnv>, token: string | null): Promise<KeyIdentity | null> {
  if (!token || !token.startsWith("hk_") || token.length > 200) return null;
  const hash = await sha256Hex(token);
  const now = Date.now();
  const cached = keyCache.get(hash);
  if (cached && cached.until > now) return cached.who;
  const rows = await db(c.env.DB)
    .select({ key: apiKeys, strictTypes: tenants.strictTypes })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = rows[0];
  if (!row) {
    keyCache.delete(hash);
    return null;
  }
  if (!row.key.lastUsedAt || now - row.key.lastUsedAt > KEY_TOUCH_INTERVAL_MS) {
    await background(c, db(c.env.DB).update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.key.id)), { job: "api key last_used_at", key_id: row.key.id });
  }
  const who = { keyId: row.key.id, tenantId: row.key.tenantId, scopes: row.key.scopes as Scope[], strictTypes: row.strictTypes };
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(hash, { who, until: now + KEY_CACHE_MS });
  return who;
}

/**
 * The live key with this id, read from D1 each time (no cache): a dashboard session names its key
 * by id, and a revoked key's sessions end on their next request.
 */
export async function authenticateKeyId(c: Context<AppEnv>, keyId: string): Promise<KeyIdentity | null> {
  const rows = await db(c.env.DB)
    .select({ key: apiKeys, strictTypes: tenants.strictTypes })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .limit(1);
  const row = rows[0];
  return row ? { keyId: row.key.id, tenantId: row.key.tenantId, scopes: row.key.scopes as Scope[], strictTypes: row.strictTypes } : null;
}

/** Whether `who` holds at least one of `scopes`. */
export const holdsAny = (who: KeyIdentity, scopes: Scope[]) => scopes.some((s) => who.scopes.includes(s));

/** Puts an identity on the context, or throws 403 when it holds none of `scopes`. */
export function admit(c: Context<AppEnv>, who: KeyIdentity, scopes: Scope[]) {
  if (scopes.length && !scopes.some((s) => who.scopes.includes(s))) {
    throw forbidden(`This API key lacks the ${scopes.join(" or ")} scope.`);
  }
  c.set("tenantId", who.tenantId);
  c.set("scopes", who.scopes);
  c.set("keyId", who.keyId);
  c.set("strictTypes", who.strictTypes);
}

/** Requires an API key holding `scope` (any of them, when several are given). */
export const keyAuth = (...scopes: Scope[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const who = await authenticateKey(c, bearer(c.req.header("authorization")));
    if (!who) throw unauthorized();
    admit(c, who, scopes);
    await next();
  });
