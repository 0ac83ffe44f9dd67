/** Operator routes: tenants and their API keys. */
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { randomToken, sha256Hex } from "../../core/crypto";
import { newId } from "../../core/ids";
import { KeyId, Scope, TenantId } from "../../core/schemas";
import { db } from "../../db/hooks";
import { apiKeys, tenants } from "../../db/schema";
import { notFound } from "../../errors";
import { forgetKey, operatorAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const TenantCreate = z.strictObject({
  name: z.string().min(1).max(200),
  strict_types: z.boolean().optional().openapi({ description: "Reject events whose type is not in the catalogue." }),
}).openapi("TenantCreate");
const Tenant = z.object({ id: TenantId, name: z.string(), strict_types: z.boolean(), created_at: z.string() }).openapi("Tenant");
const KeyCreate = z.strictObject({
  name: z.string().max(200).optional(),
  scopes: z.array(Scope).min(1).max(3),
}).openapi("ApiKeyCreate");
const ApiKey = z.object({
  id: KeyId, name: z.string().nullable(), prefix: z.string(), scopes: z.array(Scope),
  created_at: z.string(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable(),
}).openapi("ApiKey");
const ApiKeyCreated = ApiKey.extend({ key: z.string().openapi({ description: "Shown once. Store it now." }) }).openapi("ApiKeyCreated");

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const keyOut = (k: typeof apiKeys.$inferSelect) => ({
  id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes as z.infer<typeof Scope>[],
  created_at: new Date(k.createdAt).toISOString(), last_used_at: iso(k.lastUsedAt), revoked_at: iso(k.revokedAt),
});

const security = [{ operatorToken: [] }];
const app = router();
app.use("*", operatorAuth);

app.openapi(
  createRoute({
    method: "post", path: "/", tags: ["Tenants"], security, summary: "Create a tenant",
    request: { body: { required: true, content: { "application/json": { schema: TenantCreate } } } },
    responses: { 201: { description: "Created", content: { "application/json": { schema: Tenant } } }, ...problems(401, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = { id: newId("ten"), name: body.name, strictTypes: body.strict_types ?? false, createdAt: Date.now() };
    await db(c.env.DB).insert(tenants).values(row);
    return c.json({ id: row.id, name: row.name, strict_types: row.strictTypes, created_at: new Date(row.createdAt).toISOString() }, 201);
  },
);

async function requireTenant(d1: D1Database, id: string) {
  const t = await db(d1).select().from(tenants).where(eq(tenants.id, id)).limit(1);
  if (!t[0]) throw notFound("tenant");
  return t[0];
}

app.openapi(
  createRoute({
    method: "post", path: "/{id}/api-keys", tags: ["Tenants"], security, summary: "Create an API key (shown once)",
    request: { params: z.object({ id: TenantId }), body: { required: true, content: { "application/json": { schema: KeyCreate } } } },
    responses: { 201: { description: "Created", content: { "application/json": { schema: ApiKeyCreated } } }, ...problems(401, 404, 422) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    await requireTenant(c.env.DB, id);
    const key = "hk_" + randomToken(24);
    const row = {
      id: newId("key"), tenantId: id, name: body.name ?? null, prefix: key.slice(0, 10), hash: await sha256Hex(key),
      scopes: [...new Set(body.scopes)], createdAt: Date.now(), lastUsedAt: null, revokedAt: null,
    };
    await db(c.env.DB).insert(apiKeys).values(row);
    return c.json({ ...keyOut(row), key }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/{id}/api-keys", tags: ["Tenants"], security, summary: "List a tenant's API keys",
    request: { params: z.object({ id: TenantId }) },
    responses: { 200: { description: "Keys (never the key itself)", content: { "application/json": { schema: z.object({ data: z.array(ApiKey) }) } } }, ...problems(401, 404) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    await requireTenant(c.env.DB, id);
    const rows = await db(c.env.DB).select().from(apiKeys).where(eq(apiKeys.tenantId, id));
    return c.json({ data: rows.map(keyOut) }, 200);
  },
);

app.openapi(
  createRoute({
    method: "delete", path: "/{id}/api-keys/{key}", tags: ["Tenants"], security, summary: "Revoke an API key",
    request: { params: z.object({ id: TenantId, key: KeyId }) },
    responses: { 204: { description: "Revoked" }, ...problems(401, 404) },
  }),
  async (c) => {
    const { id, key } = c.req.valid("param");
    const res = await db(c.env.DB).update(apiKeys).set({ revokedAt: Date.now() })
      .where(and(eq(apiKeys.tenantId, id), eq(apiKeys.id, key))).returning({ id: apiKeys.id });
    if (res.length === 0) throw notFound("API key");
    forgetKey(key);
    return c.body(null, 204);
  },
);

export default app;
