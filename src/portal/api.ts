/**
 * /v1/portal: mint and revoke consumer-portal sessions, and the tenant's portal settings (the
 * origins allowed to frame it). Everything here needs an API key with webhook:manage: a portal link
 * hands hook management to someone else, so only a key that could do it itself may mint one.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { idPattern } from "../core/ids";
import { keyAuth } from "../api/middleware/auth";
import { problems } from "../api/openapi";
import { router } from "../api/router";
import { notFound } from "../errors";
import {
  PORTAL_CAPABILITIES, PORTAL_DEFAULT_TTL_S, PORTAL_MAX_TTL_S, liveSessions, mintSession, portalOrigins, revokeSession, setPortalOrigins,
} from "./sessions";

const security = [{ apiKey: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const manage = keyAuth("webhook:manage");

const PortalSessionCreate = z
  .strictObject({
    channel: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "channels are printable ASCII without spaces")
      .openapi({ description: "The customer's boundary (a BIMData cloud, a Speckle stream, an account id): the page manages hooks whose channels are exactly [channel].", example: "cloud-88" }),
    ttl_s: z.number().int().min(60).max(PORTAL_MAX_TTL_S).optional()
      .openapi({ description: `Seconds the link works (default ${PORTAL_DEFAULT_TTL_S}, at most ${PORTAL_MAX_TTL_S}).` }),
    capabilities: z.array(z.enum(PORTAL_CAPABILITIES)).max(3).optional()
      .openapi({ description: "What the page offers: `read` (always), `manage` (create, edit, enable, disable, delete, rotate), `deliver` (test, resend, recover). Default: all three; `[\"read\"]` is read-only." }),
    return_url: z.url({ protocol: /^https?$/ }).max(2048).optional()
      .openapi({ description: "Where the page's back link goes (your app)." }),
    branding: z.strictObject({
      name: z.string().min(1).max(60).optional(),
      accent_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour as #rrggbb").optional(),
    }).optional(),
  })
  .openapi("PortalSessionCreate");

const PortalSession = z
  .object({
    id: z.string().openapi({ example: "psn_01JD0000000000000000000000" }),
    url: z.string().openapi({ description: "The page: hand it to your customer or put it in an iframe. It is the credential: whoever holds it manages the channel until it expires or is revoked." }),
    token: z.string().openapi({ description: "The sealed session token inside url (hlp_…)." }),
    expires_at: z.string(),
    channel: z.string(),
    capabilities: z.array(z.enum(PORTAL_CAPABILITIES)),
  })
  .openapi("PortalSession");

const PortalSettings = z
  .strictObject({
    allowed_origins: z
      .array(z.string().max(300).refine((o) => {
        try {
          const u = new URL(o);
          return (u.protocol === "https:" || u.protocol === "http:") && u.origin === o;
        } catch {
          return false;
        }
      }, "a bare origin such as https://app.example.com (scheme, host and port only)"))
      .max(20)
      .openapi({ description: "Origins that may embed the portal in an iframe (its CSP frame-ancestors). Empty: it cannot be framed." }),
  })
  .openapi("PortalSettings");

const app = router();

app.openapi(
  createRoute({
    method: "post", path: "/sessions", tags: ["Portal"], security, middleware: [manage] as const,
    summary: "Mint a consumer-portal link for one channel (short-lived, revocable)",
    request: { body: { required: true, ...json(PortalSessionCreate) } },
    responses: { 201: { description: "Created", ...json(PortalSession) }, ...problems(400, 401, 403, 415, 422) },
  }),
  async (c) => {
    const { row, token, url } = await mintSession(c.env, c.get("tenantId"), c.get("keyId"), c.req.valid("json"));
    c.header("cache-control", "no-store");
    return c.json({ id: row.id, url, token, expires_at: new Date(row.expiresAt).toISOString(), channel: row.channel, capabilities: row.capabilities as typeof PORTAL_CAPABILITIES[number][] }, 201);
  },
);

const PortalSessionInfo = z
  .object({
    id: z.string(), channel: z.string(), capabilities: z.array(z.enum(PORTAL_CAPABILITIES)),
    created_at: z.string(), expires_at: z.string(),
  })
  .openapi("PortalSessionInfo");

app.openapi(
  createRoute({
    method: "get", path: "/sessions", tags: ["Portal"], security, middleware: [manage] as const,
    summary: "The live portal sessions (newest first, at most 100), to find one to revoke; never their links",
    request: { query: z.strictObject({ channel: z.string().min(1).max(200).optional() }) },
    responses: { 200: { description: "Live sessions", ...json(z.object({ data: z.array(PortalSessionInfo) })) }, ...problems(401, 403, 422) },
  }),
  async (c) => {
    const rows = await liveSessions(c.env, c.get("tenantId"), c.req.valid("query").channel, 100);
    return c.json({
      data: rows.map((r) => ({
        id: r.id, channel: r.channel, capabilities: r.capabilities as typeof PORTAL_CAPABILITIES[number][],
        created_at: new Date(r.createdAt).toISOString(), expires_at: new Date(r.expiresAt).toISOString(),
      })),
    }, 200);
  },
);

app.openapi(
  createRoute({
    method: "delete", path: "/sessions/{id}", tags: ["Portal"], security, middleware: [manage] as const,
    summary: "Revoke a portal session: its link stops working at once",
    description: "Revoking the API key that minted a session revokes it too.",
    request: { params: z.object({ id: z.string().regex(idPattern("psn"), "not a portal session id") }) },
    responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    if (!(await revokeSession(c.env, c.get("tenantId"), c.req.valid("param").id))) throw notFound("portal session");
    return c.body(null, 204);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/settings", tags: ["Portal"], security, middleware: [manage] as const,
    summary: "The tenant's portal settings",
    responses: { 200: { description: "Settings", ...json(PortalSettings) }, ...problems(401, 403) },
  }),
  async (c) => c.json({ allowed_origins: await portalOrigins(c.env, c.get("tenantId")) }, 200),
);

app.openapi(
  createRoute({
    method: "put", path: "/settings", tags: ["Portal"], security, middleware: [manage] as const,
    summary: "Set the origins allowed to embed the portal (frame-ancestors)",
    request: { body: { required: true, ...json(PortalSettings) } },
    responses: { 200: { description: "Settings", ...json(PortalSettings) }, ...problems(400, 401, 403, 415, 422) },
  }),
  async (c) => {
    const origins = [...new Set(c.req.valid("json").allowed_origins)];
    await setPortalOrigins(c.env, c.get("tenantId"), origins);
    return c.json({ allowed_origins: origins }, 200);
  },
);

export default app;
