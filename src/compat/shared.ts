/** What the vendor-shaped façades share: auth, aliases, lookups. They sit over the same hooks as /v1. */
import { and, eq, sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { Hono } from "hono";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import type { z } from "zod";
import { notFound, unauthorized, validationError } from "../errors";
import { admit, authenticateKey, bearer } from "../api/middleware/auth";
import type { AppEnv } from "../api/types";

/** `Authorization: Bearer hk_…`, or Propstack's `X-API-KEY: hk_…`; the key needs webhook:manage. */
export const compatAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization")) ?? c.req.header("x-api-key") ?? null;
  const who = await authenticateKey(c, token);
  if (!who) throw unauthorized();
  admit(c, who, ["webhook:manage"]);
  await next();
});

export const compatRouter = () => {
  const r = new Hono<AppEnv>();
  r.use("*", compatAuth);
  return r;
};

/** The tenant's hook behind a façade id (its alias), restricted to one profile. */
export async function byAlias(d1: D1Database, tenantId: string, profile: string, alias: string): Promise<HookRow> {
  const rows = await db(d1).select().from(hooks)
    .where(and(eq(hooks.tenantId, tenantId), eq(hooks.alias, alias), eq(hooks.profile, profile), eq(hooks.ephemeral, false))).limit(1);
  if (!rows[0]) throw notFound("webhook");
  return rows[0];
}

/**
 * Every hook of `profile` for the tenant, each with a façade id. Hooks made through /v1 get one the
 * first time a façade lists them, so both APIs always see the same hooks.
 */
export async function aliased(d1: D1Database, tenantId: string, profile: string, kind: "numeric" | "uuid"): Promise<HookRow[]> {
  const rows = await db(d1).select().from(hooks)
    .where(and(eq(hooks.tenantId, tenantId), eq(hooks.profile, profile), eq(hooks.ephemeral, false)))
    .orderBy(hooks.createdAt);
  for (const row of rows) {
    if (row.alias) continue;
    row.alias = kind === "uuid" ? crypto.randomUUID() : await nextNumericAlias(d1, tenantId);
    await db(d1).update(hooks).set({ alias: row.alias }).where(and(eq(hooks.id, row.id), sql`${hooks.alias} IS NULL`));
  }
  return rows;
}

/** Next numeric id for a tenant (Propstack and BIMData show integers). */
export async function nextNumericAlias(d1: D1Database, tenantId: string): Promise<string> {
  const row = await d1
    .prepare(`SELECT COALESCE(MAX(CAST(alias AS INTEGER)), 0) + 1 AS n FROM hooks WHERE tenant_id = ? AND alias GLOB '[0-9]*'`)
    .bind(tenantId)
    .first<{ n: number }>();
  return String(row?.n ?? 1);
}

/** A façade body or path part against its zod schema; failures are the usual 422 problem. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where = "body"): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(where, r.error.issues);
  return r.data;
}
