/** POST /v1/events and /v1/events/batch: validate, stamp publish order, send to hookline-events. 202. */
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { newId } from "../../core/ids";
import {
  EPHEMERAL_TARGETS_PER_MINUTE, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES, MAX_EVENT_DATA_DEPTH,
  QUEUE_PACK_BYTES,
} from "../../core/policy";
import { EventIn, type EventMessage, type EventPack } from "../../core/schemas";
import { db } from "../../db/hooks";
import { takeRate } from "../../db/rate-windows";
import { eventTypes } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, forbidden, invalid, rateLimited } from "../../errors";
import { createHook } from "../../hooks/service";
import { keyAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const security = [{ apiKey: [] }];
const Accepted = z.object({
  id: z.string(),
  status: z.literal("queued"),
  target: z.object({ hook_id: z.string(), secret: z.string().nullable() }).optional()
    .openapi({ description: "For a one-off target: its hook (history at /v1/hooks/{hook_id}/deliveries) and, when Hookline made it, the secret (shown once)." }),
}).openapi("EventAccepted");
const Batch = z.strictObject({ events: z.array(EventIn).min(1).max(MAX_BATCH_EVENTS) }).openapi("EventBatch");

/** Publish order within an isolate: Date.now() may not advance between two requests, this does. */
let sequence = 0;

const enc = new TextEncoder();
const tooLarge = (detail: string) => new AppError(413, "payload-too-large", "Payload too large", detail);

/** How deep arrays and objects nest in `value`, counted without recursion (no stack to overflow). */
export function jsonDepth(value: unknown, stopAt = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) max = d + 1;
    if (max > stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * Before anything is created or queued: data nested past MAX_EVENT_DATA_DEPTH is a 422 (it parses
 * but cannot be serialised again), and one-off targets need `webhook:manage` — each is a signed,
 * retried POST to a URL the caller picks, which a publish-only key must not be able to aim — and
 * come out of the tenant's per-minute allowance (issue 15, findings 2 and 17).
 */
async function admitEvents(env: Env, tenantId: string, scopes: string[], events: EventIn[], loc: (i: number) => (string | number)[]) {
  events.forEach((ev, i) => {
    if (jsonDepth(ev.data, MAX_EVENT_DATA_DEPTH) > MAX_EVENT_DATA_DEPTH) {
      throw invalid(`event data nests deeper than ${MAX_EVENT_DATA_DEPTH} levels`, [{ loc: [...loc(i), "data"], msg: `nested deeper than ${MAX_EVENT_DATA_DEPTH} levels` }]);
    }
  });
  const targets = events.filter((ev) => ev.target).length;
  if (!targets) return;
  if (!scopes.includes("webhook:manage")) throw forbidden("A one-off target needs the webhook:manage scope (it creates a hook).");
  const verdict = await takeRate(env.DB, tenantId, "one_off_targets", targets, EPHEMERAL_TARGETS_PER_MINUTE, Date.now());
  if (!verdict.ok) {
    throw rateLimited(`At most ${EPHEMERAL_TARGETS_PER_MINUTE} one-off targets per minute per tenant; retry in ${verdict.retryAfterS} s.`, verdict.retryAfterS);
  }
}

/** A one-off target becomes an ephemeral hook: same signing, retries and history, never routed. */
async function oneOffTarget(env: Env, tenantId: string, ev: EventIn): Promise<{ hook_id: string; secret: string | null } | undefined> {
  if (!ev.target) return undefined;
  const { row, secret } = await createHook(env, tenantId, {
    url: ev.target.url, profile: ev.target.profile ?? "standard", secret: ev.target.secret, events: [ev.type],
    validation: "none", order_window_ms: 0, description: `one-off target for ${ev.id ?? ev.type}`,
  }, { ephemeral: true });
  return { hook_id: row.id, secret: ev.target.secret === undefined ? secret : null };
}

export function toMessage(tenantId: string, ev: EventIn, publishedAt: number, targetHookId?: string): EventMessage {
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
    target_hook_id: targetHookId ?? null,
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

/**
 * Packs a batch's messages, in order, into as few queue messages as fit under QUEUE_PACK_BYTES
 * (a queue message may be 128 KB; operations are billed per 64 KB of it).
 */
export function packEvents(msgs: EventMessage[]): EventPack[] {
  const out: EventPack[] = [];
  let cur: EventMessage[] = [];
  let size = 0;
  for (const m of msgs) {
    const n = enc.encode(JSON.stringify(m)).byteLength + 1;
    if (cur.length && size + n > QUEUE_PACK_BYTES) {
      out.push({ v: 1, pack: cur });
      cur = [];
      size = 0;
    }
    cur.push(m);
    size += n;
  }
  if (cur.length) out.push({ v: 1, pack: cur });
  return out;
}

const app = router();
app.use("*", keyAuth("events:publish"));

app.openapi(
  createRoute({
    method: "post", path: "/", tags: ["Events"], security, summary: "Publish one event",
    request: { body: { required: true, content: { "application/json": { schema: EventIn } } } },
    responses: { 202: { description: "Queued", content: { "application/json": { schema: Accepted } } }, ...problems(400, 401, 403, 413, 415, 422, 429) },
  }),
  async (c) => {
    const ev = c.req.valid("json");
    await checkTypes(c.env, c.get("tenantId"), c.get("strictTypes"), [ev.type]);
    await admitEvents(c.env, c.get("tenantId"), c.get("scopes"), [ev], () => ["body"]);
    const target = await oneOffTarget(c.env, c.get("tenantId"), ev);
    const msg = toMessage(c.get("tenantId"), ev, Date.now(), target?.hook_id);
    await c.env.EVENTS.send(msg, { contentType: "json" });
    return c.json({ id: msg.id, status: "queued" as const, ...(target ? { target } : {}) }, 202);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/batch", tags: ["Events"], security, summary: "Publish up to 100 events, in order",
    request: { body: { required: true, content: { "application/json": { schema: Batch } } } },
    responses: { 202: { description: "Queued", content: { "application/json": { schema: z.object({ data: z.array(Accepted) }) } } }, ...problems(400, 401, 403, 413, 415, 422, 429) },
  }),
  async (c) => {
    const { events } = c.req.valid("json");
    await checkTypes(c.env, c.get("tenantId"), c.get("strictTypes"), events.map((e) => e.type));
    await admitEvents(c.env, c.get("tenantId"), c.get("scopes"), events, (i) => ["body", "events", i]);
    const now = Date.now();
    const sized = events.map((ev) => toMessage(c.get("tenantId"), ev, now));
    const total = sized.reduce((n, m) => n + enc.encode(JSON.stringify(m)).byteLength, 0);
    if (total > MAX_BATCH_BYTES) throw tooLarge(`the batch is ${total} bytes; the limit is ${MAX_BATCH_BYTES}`);
    const targets: Awaited<ReturnType<typeof oneOffTarget>>[] = [];
    for (const ev of events) targets.push(await oneOffTarget(c.env, c.get("tenantId"), ev));
    const msgs = sized.map((m, i) => ({ ...m, target_hook_id: targets[i]?.hook_id ?? null }));
    await c.env.EVENTS.sendBatch(packEvents(msgs).map((body) => ({ body, contentType: "json" as const })));
    return c.json({ data: msgs.map((m, i) => ({ id: m.id, status: "queued" as const, ...(targets[i] ? { target: targets[i] } : {}) })) }, 202);
  },
);

export default app;
