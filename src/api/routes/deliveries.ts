/**
 * Delivery history and operations on one hook: list, get with attempts, resend, recover, test ping.
 * Everything is read from (and queued through) the hook's EndpointDO, not D1.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../core/policy";
import { DeliveryId, HookId } from "../../core/schemas";
import { DAY_MS } from "../../core/time";
import { endpointStub, getHook, toHookConfig } from "../../db/hooks";
import type { Env } from "../../env";
import { invalid, notFound } from "../../errors";
import { hookOr404, resendDelivery, sendTestPing } from "../../hooks/service";
import { keyAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";
import { cursorOf, parseCursor } from "../cursor";

const security = [{ apiKey: [] }];
const read = keyAuth("deliveries:read");
const manage = keyAuth("webhook:manage");
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });

const DeliveryStatus = z.enum(["pending", "delivering", "succeeded", "failed", "cancelled", "skipped"]);
const Delivery = z.object({
  id: z.string(), event_id: z.string(), event_type: z.string(), status: DeliveryStatus, attempts: z.number(),
  next_attempt_at: z.string().nullable(), out_of_order: z.boolean(), last_error: z.string().nullable(),
  published_at: z.string(), created_at: z.string(), finished_at: z.string().nullable(),
}).openapi("Delivery");
const Attempt = z.object({
  id: z.string(), attempt: z.number(), started_at: z.string(), duration_ms: z.number(), status_code: z.number().nullable(),
  error_kind: z.string().nullable(), error: z.string().nullable(), response_headers: z.record(z.string(), z.string()),
  response_body: z.string().nullable(),
}).openapi("Attempt");

/** History is readable for the tenant's hooks, and for its one-off targets after their row is gone. */
async function historyOr404(env: Env, tenantId: string, id: string): Promise<void> {
  if (await getHook(env.DB, tenantId, id)) return;
  const owner = await endpointStub(env.ENDPOINTS, id).owner();
  if (!owner || !owner.ephemeral || owner.tenantId !== tenantId) throw notFound("hook");
}

const app = router();
const Params = z.object({ id: HookId });
const DParams = z.object({ id: HookId, delivery: DeliveryId });
const stripCursor = <T extends { cursor: unknown }>({ cursor: _c, ...rest }: T) => rest;

app.openapi(
  createRoute({
    method: "get", path: "/{id}/deliveries", tags: ["Deliveries"], security, middleware: [read] as const,
    summary: "Delivery history, newest first",
    request: {
      params: Params,
      query: z.strictObject({
        status: DeliveryStatus.optional(),
        event_type: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
        cursor: z.string().max(400).optional(),
      }),
    },
    responses: { 200: { description: "A page", ...json(z.object({ data: z.array(Delivery), next_cursor: z.string().nullable() })) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    await historyOr404(c.env, c.get("tenantId"), id);
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await endpointStub(c.env.ENDPOINTS, id).listDeliveries({
      status: q.status, eventType: q.event_type, before: q.cursor ? parseCursor(q.cursor) : undefined, limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return c.json({ data: page.map(stripCursor), next_cursor: rows.length > limit ? cursorOf(page[page.length - 1]!.cursor) : null }, 200);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/{id}/deliveries/{delivery}", tags: ["Deliveries"], security, middleware: [read] as const,
    summary: "One delivery with every attempt",
    request: { params: DParams },
    responses: { 200: { description: "The delivery", ...json(Delivery.extend({ attempt_log: z.array(Attempt) })) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { id, delivery } = c.req.valid("param");
    await historyOr404(c.env, c.get("tenantId"), id);
    const found = await endpointStub(c.env.ENDPOINTS, id).getDelivery(delivery);
    if (!found) throw notFound("delivery");
    return c.json({ ...stripCursor(found.delivery), attempt_log: found.attempts }, 200);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/{id}/deliveries/{delivery}/resend", tags: ["Deliveries"], security, middleware: [manage] as const,
    summary: "Deliver the same event again (a new delivery, ordered like any other)",
    request: { params: DParams },
    responses: { 202: { description: "Queued", ...json(z.object({ id: z.string(), resent_from: z.string() })) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { id, delivery } = c.req.valid("param");
    const row = await hookOr404(c.env, c.get("tenantId"), id);
    const fresh = await resendDelivery(c.env, row, delivery);
    if (!fresh) throw notFound("delivery");
    return c.json({ id: fresh, resent_from: delivery }, 202);
  },
);

const RECOVER_MAX_DAYS = 14;
app.openapi(
  createRoute({
    method: "post", path: "/{id}/recover", tags: ["Deliveries"], security, middleware: [manage] as const,
    summary: `Re-queue every failed delivery since a time (at most ${RECOVER_MAX_DAYS} days back)`,
    request: { params: Params, body: { required: true, ...json(z.strictObject({ since: z.iso.datetime({ offset: true }) }).openapi("Recover")) } },
    responses: { 202: { description: "Queued", ...json(z.object({ recovered: z.number(), ids: z.array(z.string()) })) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const since = Date.parse(c.req.valid("json").since);
    if (since < Date.now() - RECOVER_MAX_DAYS * DAY_MS) {
      throw invalid(`since: at most ${RECOVER_MAX_DAYS} days back`, [{ loc: ["body", "since"], msg: `at most ${RECOVER_MAX_DAYS} days back` }]);
    }
    const row = await hookOr404(c.env, c.get("tenantId"), id);
    const ids = await endpointStub(c.env.ENDPOINTS, id).recover(toHookConfig(row), since);
    return c.json({ recovered: ids.length, ids }, 202);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/{id}/test", tags: ["Hooks"], security, middleware: [manage] as const,
    summary: "Send a signed hookline.ping through the real pipeline",
    request: { params: Params },
    responses: { 202: { description: "Queued", ...json(z.object({ event_id: z.string(), delivery_id: z.string() })) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const row = await hookOr404(c.env, c.get("tenantId"), id);
    const { eventId, deliveryId } = await sendTestPing(c.env, row);
    return c.json({ event_id: eventId, delivery_id: deliveryId }, 202);
  },
);

export default app;
