/**
 * BIMData-shaped webhook CRUD (seed 000) under /compat/bimdata/cloud/:cloud/webhook: url, events,
 * secret; needs webhook:manage. Hooks use the bimdata profile with the cloud as their channel.
 * The secret is returned on create only (BIMData echoes it; Hookline never shows it again).
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/types";
import { EVENT_PRESETS } from "../core/presets";
import type { HookRow } from "../db/schema";
import { notFound } from "../errors";
import { createHook, deleteHook, rotateSecret, sendTestPing, updateHook } from "../api/hook-service";
import { aliased, byAlias, compatRouter, nextNumericAlias, parse } from "./shared";

const Event = z.enum(EVENT_PRESETS.bimdata as [string, ...string[]]);
const Body = z.strictObject({ url: z.string().min(1).max(2048), events: z.array(Event).min(1), secret: z.string().max(256).optional() });
const Cloud = z.string().regex(/^[1-9]\d{0,14}$/, "cloud ids are numbers");


const view = (h: HookRow) => ({ id: Number(h.alias), url: h.url, events: h.events, cloud_id: Number(h.channels[0]) });

async function inCloud(d1: D1Database, tenantId: string, cloud: string, id: string) {
  const row = await byAlias(d1, tenantId, "bimdata", id);
  if (row.channels[0] !== cloud) throw notFound("webhook");
  return row;
}

const app = compatRouter();

app.post("/cloud/:cloud/webhook", async (c) => {
  const cloud = parse(Cloud, c.req.param("cloud"), "path");
  const b = parse(Body, await c.req.json().catch(() => null));
  const { row, secret } = await createHook(c.env, c.get("tenantId"), {
    url: b.url, events: b.events, channels: [cloud], profile: "bimdata", secret: b.secret, validation: "none",
    description: `BIMData cloud ${cloud}`,
  }, { alias: await nextNumericAlias(c.env.DB, c.get("tenantId")) });
  return c.json({ ...view(row), secret }, 201);
});

app.get("/cloud/:cloud/webhook", async (c) => {
  const cloud = parse(Cloud, c.req.param("cloud"), "path");
  return c.json((await aliased(c.env.DB, c.get("tenantId"), "bimdata", "numeric")).filter((h) => h.channels[0] === cloud).map(view));
});

app.get("/cloud/:cloud/webhook/:id", async (c) => c.json(view(await inCloud(c.env.DB, c.get("tenantId"), c.req.param("cloud"), c.req.param("id")))));

const update = async (c: Context<AppEnv>, partial: boolean) => {
  let row = await inCloud(c.env.DB, c.get("tenantId"), c.req.param("cloud")!, c.req.param("id")!);
  const b = parse(partial ? Body.partial() : Body, await c.req.json().catch(() => null));
  row = await updateHook(c.env, row, { url: b.url, events: b.events });
  if (b.secret) row = (await rotateSecret(c.env, row, b.secret)).row;
  return c.json(view(row));
};
app.patch("/cloud/:cloud/webhook/:id", (c) => update(c, true));
app.put("/cloud/:cloud/webhook/:id", (c) => update(c, false));

app.delete("/cloud/:cloud/webhook/:id", async (c) => {
  await deleteHook(c.env, await inCloud(c.env.DB, c.get("tenantId"), c.req.param("cloud"), c.req.param("id")));
  return c.body(null, 204);
});

app.post("/cloud/:cloud/webhook/:id/ping", async (c) => {
  await sendTestPing(c.env, await inCloud(c.env.DB, c.get("tenantId"), c.req.param("cloud"), c.req.param("id")));
  return c.body(null, 202);
});

export default app;
