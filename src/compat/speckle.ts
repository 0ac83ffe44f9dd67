/**
 * Speckle-style per-stream webhooks (seed 002): url, description, optional secret, triggers,
 * enabled; listing a stream's webhooks includes the history of previous requests. They are plain
 * speckle-profile hooks with the stream as their channel (ids are the hooks' own ids).
 */
import { z } from "zod";
import { endpointStub, getHook, listHooks } from "../db/hooks";
import type { HookRow } from "../db/schema";
import { notFound } from "../errors";
import { createHook, deleteHook, rotateSecret, updateHook } from "../api/hook-service";
import { EventPattern } from "../core/schemas";
import { compatRouter, parse } from "./shared";
import type { Env } from "../env";

const Create = z.strictObject({
  url: z.string().min(1).max(2048),
  description: z.string().max(500).optional(),
  secret: z.string().max(256).nullable().optional(),
  triggers: z.array(EventPattern).min(1),
  enabled: z.boolean().optional(),
});
const Stream = z.string().regex(/^[A-Za-z0-9]{1,64}$/, "not a stream id");


async function view(env: Env, h: HookRow, withHistory: boolean) {
  const base = {
    id: h.id, streamId: h.channels[0], url: h.url, description: h.description, triggers: h.events, enabled: h.enabled,
    hasSecret: h.secretEnc !== null,
  };
  if (!withHistory) return base;
  const items = await endpointStub(env.ENDPOINTS, h.id).listDeliveries({ limit: 20 });
  return {
    ...base,
    history: {
      totalCount: items.length,
      items: items.map((d) => ({
        id: d.id, webhookId: h.id, event: d.event_type, status: d.status,
        statusInfo: d.status === "succeeded" ? "OK" : d.last_error ?? d.status, lastUpdate: d.finished_at ?? d.created_at,
      })),
    },
  };
}

async function inStream(env: Env, tenantId: string, stream: string, id: string) {
  const row = await getHook(env.DB, tenantId, id);
  if (!row || row.profile !== "speckle" || row.channels[0] !== stream) throw notFound("webhook");
  return row;
}

const app = compatRouter();

app.post("/streams/:stream/webhooks", async (c) => {
  const stream = parse(Stream, c.req.param("stream"), "path");
  const b = parse(Create, await c.req.json().catch(() => null));
  const { row } = await createHook(c.env, c.get("tenantId"), {
    url: b.url, description: b.description ?? null, secret: b.secret ?? null, events: b.triggers, enabled: b.enabled ?? true,
    channels: [stream], profile: "speckle", validation: "none",
  }, { alias: null });
  return c.json(await view(c.env, row, false), 201);
});

app.get("/streams/:stream/webhooks", async (c) => {
  const stream = parse(Stream, c.req.param("stream"), "path");
  const rows = (await speckleHooks(c.env, c.get("tenantId"))).filter((h) => h.channels[0] === stream);
  return c.json({ streamId: stream, webhooks: { totalCount: rows.length, items: await Promise.all(rows.map((h) => view(c.env, h, true))) } });
});

app.patch("/streams/:stream/webhooks/:id", async (c) => {
  let row = await inStream(c.env, c.get("tenantId"), c.req.param("stream"), c.req.param("id"));
  const b = parse(Create.partial(), await c.req.json().catch(() => null));
  row = await updateHook(c.env, row, { url: b.url, description: b.description, events: b.triggers, enabled: b.enabled });
  if (b.secret) row = (await rotateSecret(c.env, row, b.secret)).row;
  return c.json(await view(c.env, row, false));
});

app.delete("/streams/:stream/webhooks/:id", async (c) => {
  await deleteHook(c.env, await inStream(c.env, c.get("tenantId"), c.req.param("stream"), c.req.param("id")));
  return c.json({ deleted: true });
});

/** Speckle hooks have no alias (their ids are the hooks' own): every speckle-profile hook of the tenant. */
async function speckleHooks(env: Env, tenantId: string) {
  return (await listHooks(env.DB, tenantId, undefined, 1000)).filter((h) => h.profile === "speckle");
}

export default app;
