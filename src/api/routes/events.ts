/** POST /v1/events and /v1/events/batch: validate, stamp publish order, send to hookline-events. 202. */
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { newId } from "../../core/ids";
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES } from "../../core/policy";
import { EventIn, type EventMessage } from "../../core/schemas";
import { db } from "../../db/hooks";
import { eventTypes } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, invalid } from "../../errors";
import { keyAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const security = [{ apiKey: [] }];
const Accepted = z.object({ id: z.string(), status: z.literal("queued") }).openapi("EventAccepted");
const Batch = z.strictObject({ events: z.array(EventIn).min(1).max(MAX_BATCH_EVENTS) }).openapi("EventBatch");

/** Publish order within an isolate: Date.now() may not advance between two requests, this does. */
let sequence = 0;

const enc = new TextEncoder();
const tooLarge = (detail: string) => new AppError(413, "payload-too-large", "Payload too large", detail);

export function toMessage(tenantId: string, ev: EventIn, publishedAt: number): EventMessage {
  const size = ev.data === undefined ? 0 : enc.encode(JSON.stringify(ev.data)).byteLength;
  if (size > MAX_EVENT_DATA_BYTES) throw tooLarge(`event data is ${size} bytes; the limit is ${MAX_EVENT_DATA_BYTES}`);
  return {
    v: 1,
    tenant_id: tenantId,
    id: ev.id ?? newId("evt", publishedAt),
    type: ev.type,
    data: ev.data ?? null,
    channel: ev.channel ?? null,
    changed_attributes: ev.changed_attributes ?? null,
    occurred_at: ev.occurred_at ?? null,
    published_at: publishedAt,
    index: sequence++,
    actor: ev.actor ?? null,
    summary: ev.summary ?? null,
  };
}

/** With strict types on, every type must be in the tenant's (non-archived) catalogue. */
async function checkTypes(env: Env, tenantId: string, strict: boolean, types: string[]) {
  if (!strict) return;
  const wanted = [...new Set(types)].filter((t) => !t.startsWith("hookline."));
  if (!wanted.length) return;
  const rows = await db(env.DB).select({ name: eventTypes.name }).from(eventTypes)
    .where(and(eq(eventTypes.tenantId, tenantId), inArray(eventTypes.name, wanted), eq(eventTypes.archived, false)));
  const known = new Set(rows.map((r) => r.name));
  const unknown = wanted.filter((t) => !known.has(t));
  if (unknown.length) throw invalid(`unknown event type: ${unknown.join(", ")}`, unknown.map((t) => ({ loc: ["body", "type"], msg: `unknown event type ${t}` })));
}

const app = router();
app.use("*", keyAuth("events:publish"));

app.openapi(
  createRoute({
    method: "post", path: "/", tags: ["Events"], security, summary: "Publish one event",
    request: { body: { required: true, content: { "application/json": { schema: EventIn } } } },
    responses: { 202: { description: "Queued", content: { "application/json": { schema: Accepted } } }, ...problems(400, 401, 403, 413, 415, 422) },
  }),
  async (c) => {
    const ev = c.req.valid("json");
    await checkTypes(c.env, c.get("tenantId"), c.get("strictTypes"), [ev.type]);
    const msg = toMessage(c.get("tenantId"), ev, Date.now());
    await c.env.EVENTS.send(msg, { contentType: "json" });
    return c.json({ id: msg.id, status: "queued" as const }, 202);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/batch", tags: ["Events"], security, summary: "Publish up to 100 events, in order",
    request: { body: { required: true, content: { "application/json": { schema: Batch } } } },
    responses: { 202: { description: "Queued", content: { "application/json": { schema: z.object({ data: z.array(Accepted) }) } } }, ...problems(400, 401, 403, 413, 415, 422) },
  }),
  async (c) => {
    const { events } = c.req.valid("json");
    await checkTypes(c.env, c.get("tenantId"), c.get("strictTypes"), events.map((e) => e.type));
    const now = Date.now();
    const msgs = events.map((ev) => toMessage(c.get("tenantId"), ev, now));
    const total = msgs.reduce((n, m) => n + enc.encode(JSON.stringify(m)).byteLength, 0);
    if (total > MAX_BATCH_BYTES) throw tooLarge(`the batch is ${total} bytes; the limit is ${MAX_BATCH_BYTES}`);
    await c.env.EVENTS.sendBatch(msgs.map((body) => ({ body, contentType: "json" as const })));
    return c.json({ data: msgs.map((m) => ({ id: m.id, status: "queued" as const })) }, 202);
  },
);

export default app;
