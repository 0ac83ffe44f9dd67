/** /v1/event-types: the tenant's catalogue; each profile ships its seed's names as presets. */
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { EVENT_PRESETS } from "../../core/presets";
import { EventName, Profile, PublicEventName } from "../../core/schemas";
import { db } from "../../db/hooks";
import { eventTypes, type EventTypeRow } from "../../db/schema";
import { conflict, notFound } from "../../errors";
import { keyAuth } from "../middleware/auth";
import { problems } from "../openapi";
import { router } from "../router";

const security = [{ apiKey: [] }];
const EventType = z.object({ name: z.string(), description: z.string().nullable(), archived: z.boolean(), created_at: z.string(), updated_at: z.string() }).openapi("EventType");
const EventTypeCreate = z.strictObject({ name: PublicEventName, description: z.string().max(500).optional() }).openapi("EventTypeCreate");
const EventTypeUpdate = z.strictObject({ description: z.string().max(500).nullable().optional(), archived: z.boolean().optional() }).openapi("EventTypeUpdate");
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });

const out = (r: EventTypeRow) => ({
  name: r.name, description: r.description, archived: r.archived,
  created_at: new Date(r.createdAt).toISOString(), updated_at: new Date(r.updatedAt).toISOString(),
});

const app = router();
// Publishers read the catalogue; only webhook:manage changes it — otherwise a publish-only key could
// add the very type strict_types was meant to refuse (issue 15, finding 9).
app.use("*", keyAuth("webhook:manage", "events:publish"));
const manage = keyAuth("webhook:manage");

app.openapi(
  createRoute({
    method: "get", path: "/", tags: ["Event types"], security, summary: "List the catalogue",
    responses: { 200: { description: "Event types", ...json(z.object({ data: z.array(EventType) })) }, ...problems(401, 403) },
  }),
  async (c) => {
    const rows = await db(c.env.DB).select().from(eventTypes).where(eq(eventTypes.tenantId, c.get("tenantId"))).orderBy(eventTypes.name);
    return c.json({ data: rows.map(out) }, 200);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/presets/{profile}", tags: ["Event types"], security, summary: "A profile's documented event names",
    request: { params: z.object({ profile: Profile }) },
    responses: { 200: { description: "Names", ...json(z.object({ profile: Profile, names: z.array(z.string()) })) }, ...problems(401, 403, 422) },
  }),
  (c) => {
    const { profile } = c.req.valid("param");
    return c.json({ profile, names: EVENT_PRESETS[profile] }, 200);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/import/{profile}", tags: ["Event types"], security, middleware: [manage] as const, summary: "Add a profile's presets to the catalogue",
    request: { params: z.object({ profile: Profile }) },
    responses: { 200: { description: "Catalogue", ...json(z.object({ data: z.array(EventType) })) }, ...problems(401, 403, 422) },
  }),
  async (c) => {
    const { profile } = c.req.valid("param");
    const now = Date.now();
    const tenantId = c.get("tenantId");
    const rows = EVENT_PRESETS[profile].map((name) => ({ tenantId, name, description: `${profile} preset`, archived: false, createdAt: now, updatedAt: now }));
    for (let i = 0; i < rows.length; i += 10) await db(c.env.DB).insert(eventTypes).values(rows.slice(i, i + 10)).onConflictDoNothing();
    const all = await db(c.env.DB).select().from(eventTypes).where(eq(eventTypes.tenantId, tenantId)).orderBy(eventTypes.name);
    return c.json({ data: all.map(out) }, 200);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/", tags: ["Event types"], security, middleware: [manage] as const, summary: "Add an event type",
    request: { body: { required: true, ...json(EventTypeCreate) } },
    responses: { 201: { description: "Created", ...json(EventType) }, ...problems(400, 401, 403, 409, 415, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const now = Date.now();
    const row = { tenantId: c.get("tenantId"), name: body.name, description: body.description ?? null, archived: false, createdAt: now, updatedAt: now };
    const res = await db(c.env.DB).insert(eventTypes).values(row).onConflictDoNothing().returning();
    if (res.length === 0) throw conflict(`event type ${body.name} already exists`);
    return c.json(out(row), 201);
  },
);

app.openapi(
  createRoute({
    method: "patch", path: "/{name}", tags: ["Event types"], security, middleware: [manage] as const, summary: "Describe or archive an event type",
    request: { params: z.object({ name: EventName }), body: { required: true, ...json(EventTypeUpdate) } },
    responses: { 200: { description: "Updated", ...json(EventType) }, ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const patch: Partial<EventTypeRow> = { updatedAt: Date.now() };
    if (body.description !== undefined) patch.description = body.description;
    if (body.archived !== undefined) patch.archived = body.archived;
    const res = await db(c.env.DB).update(eventTypes).set(patch)
      .where(and(eq(eventTypes.tenantId, c.get("tenantId")), eq(eventTypes.name, name))).returning();
    if (!res[0]) throw notFound("event type");
    return c.json(out(res[0]), 200);
  },
);

export default app;
