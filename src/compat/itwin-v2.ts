/**
 * iTwin Webhooks API v2 (developer.bentley.com/apis/webhooks-v2):
 *  - `POST /webhooks` {callbackUrl, scope: "Account" | "iTwin", scopeId (with iTwin), eventTypes,
 *    secret? (≥ 32 characters, generated when absent)} → 201 with the webhook and its `secret`, inactive;
 *  - `PATCH /webhooks/{id}` {active?, callbackUrl?, eventTypes?, secret?, scope?, scopeId?} → 200 with the webhook;
 *    a PATCH without `secret` keeps the secret;
 *  - `GET /webhooks` → {"webhooks": [{id, scope, scopeId, active, callbackUrl, eventTypes, created, modified}]},
 *    `GET /webhooks/{id}` → the webhook, `DELETE /webhooks/{id}` → 204.
 * A single webhook is the body itself, with no `{"webhook": …}` around it: "Get webhook" shows it so,
 * and Bentley's v2 samples (iTwin/webhooks-api-samples) read create, get and update answers that way.
 * Events use v2 names (`iModels.iModelDeleted.v1`, …) and the iTwin id as channel. An Account
 * webhook receives the tenant's events of its types from every iTwin; its scopeId is the tenant.
 */
import type { Context } from "hono";
import { z } from "zod";
import { activateHook, checkUrlOrThrow, createHook, deactivateHook, deleteHook, rotateSecret, updateHook } from "../hooks/service";
import type { AppEnv } from "../api/types";
import type { HookRow } from "../db/schema";
import { invalid } from "../errors";
import { isoOrNull, itwinHook, itwinHooks, jsonBody } from "./itwin-views";
import { parse } from "./shared";

/** v2 names are `<api>.<event>.v<n>`; the platform adds events over time, so the shape is checked, not a list. */
const EventType = z.string().max(200).regex(/^[A-Za-z]+\.[A-Za-z]+\.v\d+$/, "event types look like iModels.iModelDeleted.v1");
const Secret = z.string().min(32, "the secret must be at least 32 characters").max(256);
const ScopeId = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "not an iTwin id");
const Create = z.strictObject({
  callbackUrl: z.string().min(1).max(2048),
  scope: z.enum(["Account", "iTwin"]),
  scopeId: ScopeId.optional(),
  eventTypes: z.array(EventType).min(1).max(100),
  secret: Secret.optional(),
});
const Update = z.strictObject({
  callbackUrl: z.string().min(1).max(2048).optional(),
  scope: z.enum(["Account", "iTwin"]).optional(),
  scopeId: ScopeId.optional(),
  eventTypes: z.array(EventType).min(1).max(100).optional(),
  secret: Secret.optional(),
  active: z.boolean().optional(),
});

/** An iTwin webhook listens to one channel (its iTwin); an Account webhook to all of them. */
function channelsFor(scope: "Account" | "iTwin", scopeId: string | undefined): string[] {
  if (scope === "Account") return [];
  if (!scopeId) throw invalid("scopeId is required when scope is iTwin", [{ loc: ["body", "scopeId"], msg: "required when scope is iTwin" }]);
  return [scopeId];
}

const view = (h: HookRow) => ({
  id: h.id,
  scope: h.channels.length ? "iTwin" : "Account",
  scopeId: h.channels[0] ?? h.tenantId,
  active: h.status === "active" && h.enabled,
  callbackUrl: h.url,
  eventTypes: h.events,
  created: isoOrNull(h.createdAt),
  modified: isoOrNull(h.updatedAt),
});

export async function create(c: Context<AppEnv>) {
  const b = parse(Create, await jsonBody(c));
  checkUrlOrThrow(c.env, b.callbackUrl, "callbackUrl");
  const { row, secret } = await createHook(c.env, c.get("tenantId"), {
    url: b.callbackUrl, events: b.eventTypes, channels: channelsFor(b.scope, b.scopeId), profile: "itwin_v2",
    secret: b.secret, enabled: false, validation: "none", expires_at: null, description: `iTwin v2 webhook (${b.scope})`,
  });
  return c.json({ ...view(row), secret }, 201);
}

export async function update(c: Context<AppEnv>) {
  let row = await itwinHook(c, 2);
  const b = parse(Update, await jsonBody(c));
  if (b.callbackUrl !== undefined) checkUrlOrThrow(c.env, b.callbackUrl, "callbackUrl");
  const scope = b.scope ?? (b.scopeId !== undefined ? "iTwin" : undefined);
  const channels = scope ? channelsFor(scope, b.scopeId ?? row.channels[0]) : undefined;
  if (b.callbackUrl !== undefined || b.eventTypes !== undefined || channels !== undefined) {
    row = await updateHook(c.env, row, { url: b.callbackUrl, events: b.eventTypes, channels });
  }
  // The caller chose the new secret, so the answer is the webhook as "Get webhook" shows it, without it.
  if (b.secret !== undefined) ({ row } = await rotateSecret(c.env, row, b.secret));
  if (b.active === true) row = await activateHook(c.env, row, null);
  if (b.active === false) row = await deactivateHook(c.env, row);
  return c.json(view(row));
}

export async function list(c: Context<AppEnv>) {
  return c.json({ webhooks: (await itwinHooks(c, 2)).map(view) });
}

export const details = (c: Context<AppEnv>, row: HookRow) => c.json(view(row));

export async function remove(c: Context<AppEnv>, row: HookRow) {
  await deleteHook(c.env, row);
  return c.body(null, 204);
}
