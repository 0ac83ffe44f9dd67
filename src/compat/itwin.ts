/**
 * iTwin's Webhooks API (seed 001): create with callbackUrl/eventTypes/expirationDateTime →
 * {"webhook": {"id": "<uuid>", "secret": "<64 hex>", …}}; get, list, update (activate/deactivate,
 * event types, expiry), delete. Hooks use the itwin profile and the OPTIONS handshake.
 */
import { z } from "zod";
import { EVENT_PRESETS } from "../core/presets";
import type { HookRow } from "../db/schema";
import { activateHook, createHook, deactivateHook, deleteHook, updateHook } from "../api/hook-service";
import { aliased, byAlias, compatRouter, parse } from "./shared";

const EventType = z.enum(EVENT_PRESETS.itwin as [string, ...string[]]);
const Create = z.strictObject({
  callbackUrl: z.string().min(1).max(2048),
  eventTypes: z.array(EventType).min(1),
  expirationDateTime: z.iso.datetime({ offset: true }).optional(),
  scope: z.enum(["Global", "iTwin"]).optional(),
  scopeId: z.string().max(200).optional(),
});
const Update = z.strictObject({
  callbackUrl: z.string().min(1).max(2048).optional(),
  eventTypes: z.array(EventType).min(1).optional(),
  expirationDateTime: z.iso.datetime({ offset: true }).optional(),
  active: z.boolean().optional(),
});


const view = (h: HookRow) => ({
  id: h.alias!,
  callbackUrl: h.url,
  eventTypes: h.events,
  scope: h.channels.length ? "iTwin" : "Global",
  ...(h.channels[0] ? { scopeId: h.channels[0] } : {}),
  active: h.status === "active" && h.enabled,
  expirationDateTime: h.expiresAt ? new Date(h.expiresAt).toISOString() : null,
});

const app = compatRouter();

app.post("/webhooks", async (c) => {
  const b = parse(Create, await c.req.json().catch(() => null));
  const { row, secret } = await createHook(c.env, c.get("tenantId"), {
    url: b.callbackUrl, events: b.eventTypes, profile: "itwin", expires_at: b.expirationDateTime,
    channels: b.scope === "iTwin" && b.scopeId ? [b.scopeId] : [], description: "iTwin webhook",
  }, { alias: crypto.randomUUID() });
  return c.json({ webhook: { ...view(row), secret } }, 201);
});

app.get("/webhooks", async (c) => c.json({ webhooks: (await aliased(c.env.DB, c.get("tenantId"), "itwin", "uuid")).map(view) }));

app.get("/webhooks/:id", async (c) => c.json({ webhook: view(await byAlias(c.env.DB, c.get("tenantId"), "itwin", c.req.param("id"))) }));

app.patch("/webhooks/:id", async (c) => {
  let row = await byAlias(c.env.DB, c.get("tenantId"), "itwin", c.req.param("id"));
  const b = parse(Update, await c.req.json().catch(() => null));
  if (b.callbackUrl !== undefined || b.eventTypes !== undefined || (b.expirationDateTime !== undefined && b.active === undefined)) {
    row = await updateHook(c.env, row, { url: b.callbackUrl, events: b.eventTypes, expires_at: b.expirationDateTime });
  }
  if (b.active === true) row = await activateHook(c.env, row, b.expirationDateTime);
  if (b.active === false) row = await deactivateHook(c.env, row);
  return c.json({ webhook: view(row) });
});

app.delete("/webhooks/:id", async (c) => {
  await deleteHook(c.env, await byAlias(c.env.DB, c.get("tenantId"), "itwin", c.req.param("id")));
  return c.body(null, 204);
});

export default app;
