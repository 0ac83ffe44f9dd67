/**
 * BIMData's WebhookApi, as its official client (`@bimdata/typescript-fetch-api-client`) calls it,
 * under /compat/bimdata: cloud webhooks (`/cloud/{cloud_pk}/webhook[/{id}[/ping]]`) and project
 * webhooks (`/cloud/{cloud_pk}/project/{project_pk}/webhook[/{id}[/ping]]`). Bodies are the
 * client's `WebHookRequest` / `PatchedWebHookRequest`; answers are its `WebHook` model
 * `{id, events, url, secret}`. Needs webhook:manage, as BIMData's routes do.
 *
 * Routing (the seed: "all projects of this cloud emit events"): a producer publishes a project's
 * event with the channel `<cloud>/<project>`, and a cloud-level event with `<cloud>`. A cloud
 * webhook holds the channels `<cloud>` and `<cloud>/*`, so it receives both; a project webhook
 * holds `<cloud>/<project>` only. Deliveries carry `cloud_id: <cloud>` either way.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/types";
import { EVENT_PRESETS } from "../core/presets";
import { newId } from "../core/ids";
import { endpointStub, toHookConfig } from "../db/hooks";
import type { HookRow } from "../db/schema";
import type { Env } from "../env";
import { notFound } from "../errors";
import { createHook, deleteHook, rotateSecret, updateHook } from "../hooks/service";
import { aliased, byAlias, compatRouter, nextNumericAlias, parse } from "./shared";

const Event = z.enum(EVENT_PRESETS.bimdata as [string, ...string[]]);
const Body = z.strictObject({
  url: z.string().min(1).max(2048),
  events: z.array(Event).min(1),
  secret: z.string().max(256).optional(),
});
const Id = z.string().regex(/^[1-9]\d{0,14}$/, "ids are numbers");

/** Where a webhook sits: a cloud, or one project of a cloud. */
interface Scope {
  cloud: string;
  project: string | null;
}
const channelsOf = (s: Scope) => (s.project ? [`${s.cloud}/${s.project}`] : [s.cloud, `${s.cloud}/*`]);
const holds = (s: Scope, h: HookRow) => (h.channels[0] ?? "") === (s.project ? `${s.cloud}/${s.project}` : s.cloud);

/** The client's `WebHook` model. The secret is shown when it was just set (create, or a PATCH that changes it). */
const view = (h: HookRow, secret?: string | null) => ({
  id: Number(h.alias),
  events: h.events,
  url: h.url,
  ...(secret ? { secret } : {}),
});

function scopeOf(c: Context<AppEnv>): Scope {
  const cloud = parse(Id, c.req.param("cloud"), "path");
  const project = c.req.param("project");
  return { cloud, project: project === undefined ? null : parse(Id, project, "path") };
}

async function hookIn(c: Context<AppEnv>): Promise<HookRow> {
  const scope = scopeOf(c);
  const row = await byAlias(c.env.DB, c.get("tenantId"), "bimdata", parse(Id, c.req.param("id"), "path"));
  if (!holds(scope, row)) throw notFound("webhook");
  return row;
}

const readBody = (c: Context<AppEnv>) => c.req.json().catch(() => null);

/**
 * BIMData's ping: "a Ping Event sending {"ok": true} to the webhook URL", signed and delivered like
 * any event (event_name `ping`, the webhook's cloud as cloud_id), whatever the webhook subscribes to.
 */
async function ping(env: Env, row: HookRow): Promise<void> {
  const now = Date.now();
  const eventId = newId("evt", now);
  await endpointStub(env.ENDPOINTS, row.id).admit(toHookConfig(row), [{
    id: newId("dlv", now), dedupeKey: eventId, eventId, publishedAt: now, index: 0,
    event: { id: eventId, type: "ping", timestamp: now, channel: row.channels[0] ?? null, data: { ok: true } },
  }], 0);
}

const app = compatRouter();

for (const base of ["/cloud/:cloud/webhook", "/cloud/:cloud/project/:project/webhook"]) {
  app.post(base, async (c) => {
    const scope = scopeOf(c);
    const b = parse(Body, await readBody(c));
    const { row, secret } = await createHook(c.env, c.get("tenantId"), {
      url: b.url, events: b.events, channels: channelsOf(scope), profile: "bimdata", secret: b.secret, validation: "none",
      description: scope.project ? `BIMData project ${scope.project} of cloud ${scope.cloud}` : `BIMData cloud ${scope.cloud}`,
    }, { alias: await nextNumericAlias(c.env.DB, c.get("tenantId")) });
    return c.json(view(row, secret), 201);
  });

  app.get(base, async (c) => {
    const scope = scopeOf(c);
    const rows = await aliased(c.env.DB, c.get("tenantId"), "bimdata", "numeric");
    return c.json(rows.filter((h) => holds(scope, h)).map((h) => view(h)));
  });

  app.get(`${base}/:id`, async (c) => c.json(view(await hookIn(c))));

  const update = async (c: Context<AppEnv>, partial: boolean) => {
    let row = await hookIn(c);
    const b = parse(partial ? Body.partial() : Body, await readBody(c));
    row = await updateHook(c.env, row, { url: b.url, events: b.events });
    let secret: string | null = null;
    if (b.secret) ({ row, secret } = await rotateSecret(c.env, row, b.secret));
    return c.json(view(row, secret));
  };
  app.patch(`${base}/:id`, (c) => update(c, true));
  app.put(`${base}/:id`, (c) => update(c, false));

  app.delete(`${base}/:id`, async (c) => {
    await deleteHook(c.env, await hookIn(c));
    return c.body(null, 204);
  });

  app.post(`${base}/:id/ping`, async (c) => {
    // The client sends a WebHookRequest body with the ping; BIMData does not use it, nor do we.
    const row = await hookIn(c);
    await ping(c.env, row);
    return c.json(view(row));
  });
}

export default app;
