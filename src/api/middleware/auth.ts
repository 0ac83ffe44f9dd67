/**
 * Bearer auth. The operator token (ADMIN_TOKEN) manages tenants and keys; API keys (`hk_…`,
 * stored as SHA-256) carry scopes and belong to one tenant.
 */
import { createMiddleware } from "hono/factory";
import { and, eq, isNull } from "drizzle-orm";
import { sha256Hex, timingSafeEqual } from "../../core/crypto";
import { KEY_TOUCH_INTERVAL_MS } from "../../core/policy";
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

/** Requires an API key holding `scope` (any of them, when several are given). */
export const keyAuth = (...scopes: Scope[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const token = bearer(c.req.header("authorization"));
    if (!token || !token.startsWith("hk_") || token.length > 200) throw unauthorized();
    const hash = await sha256Hex(token);
    const rows = await db(c.env.DB)
      .select({ key: apiKeys, strictTypes: tenants.strictTypes })
      .from(apiKeys)
      .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
      .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt)))
      .limit(1);
    const key = rows[0]?.key;
    if (!key) throw unauthorized();
    const held = key.scopes as Scope[];
    if (scopes.length && !scopes.some((s) => held.includes(s))) {
      throw forbidden(`This API key lacks the ${scopes.join(" or ")} scope.`);
    }
    c.set("tenantId", key.tenantId);
    c.set("scopes", held);
    c.set("keyId", key.id);
    c.set("strictTypes", rows[0]!.strictTypes);
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt > KEY_TOUCH_INTERVAL_MS) {
      background(c, db(c.env.DB).update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, key.id)));
    }
    await next();
  });
