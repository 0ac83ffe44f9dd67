/**
 * iTwin Webhooks API v1 (developer.bentley.com/apis/webhooks), the version seed 001 describes:
 *  - `POST /webhooks/imodels` {imodelId, eventTypes, callbackUrl, expirationDateTime?, secret?}
 *    → 201 {"webhook": {"id", "secret"}} and a Location header naming the webhook (Bentley's v1
 *    samples read the id from it); the hook then runs the OPTIONS handshake;
 *  - `GET /webhooks/confirm?id&key`, the link in `WebHook-Request-Callback`, within 2 days;
 *  - `POST /webhooks/{id}/activate` {expirationDateTime?} (default: 30 days from now) → 202,
 *    `POST /webhooks/{id}/deactivate` → 202 (422 when already inactive), `DELETE /webhooks/{id}` → 204;
 *  - `GET /webhooks` → {"webhooks": [{id, eventSource, isActive, isValidated, callbackUrl, expirationDateTime}]},
 *    `GET /webhooks/{id}` → {"webhook": {id, isActive, isValidated, callbackUrl, expirationDateTime, validationState, _links}}.
 * A webhook is not active until its callback is validated (changelog, 2021-10-12).
 * Events are published with the iModel id as channel and v1 names (`iModelDeletedEvent`, …).
 */
import type { Context } from "hono";
import { z } from "zod";
import { activateHook, checkUrlOrThrow, createHook, deactivateHook, deleteHook } from "../hooks/service";
import type { AppEnv } from "../api/types";
import { sha256Hex, timingSafeEqual } from "../core/crypto";
import { ITWIN_TTL_DAYS } from "../core/policy";
import { EVENT_PRESETS } from "../core/presets";
import { DAY_MS } from "../core/time";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import { settings } from "../env";
import { activate as validated } from "../lifecycle/handshake";
import { eq } from "drizzle-orm";
import { invalidChange, isoOrNull, itwinHook, itwinHooks, ItwinError, jsonBody, webhookNotFound } from "./itwin-views";
import { parse } from "./shared";

/** The seed's names, plus the spelling v1's create page still uses for one of them (renamed in 2021, per the changelog). */
const EventType = z.enum(["ChangeSetPushedEvent", ...EVENT_PRESETS.itwin]);
const When = z.iso.datetime({ offset: true });
const Create = z.strictObject({
  imodelId: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "not an iModel id"),
  eventTypes: z.array(EventType).min(1),
  callbackUrl: z.string().min(1).max(2048),
  expirationDateTime: When.optional(),
  secret: z.string().max(256).optional(),
});
const Activate = z.strictObject({ expirationDateTime: When.optional() }).nullable();

const isValidated = (h: HookRow) => h.status !== "pending_validation";
/** Receiving events: validated, and not deactivated, expired or disabled. */
const isActive = (h: HookRow) => h.enabled && h.status === "active";
/** Deactivated, expired or disabled: what "Deactivate a webhook" calls already deactive (a hook awaiting validation is not). */
const isOff = (h: HookRow) => !h.enabled || h.status === "expired" || h.status === "disabled";

const summary = (h: HookRow) => ({
  id: h.id,
  eventSource: "iModels",
  isActive: isActive(h),
  isValidated: isValidated(h),
  callbackUrl: h.url,
  expirationDateTime: isoOrNull(h.expiresAt),
});

const detailsOf = (h: HookRow) => ({
  id: h.id,
  isActive: isActive(h),
  isValidated: isValidated(h),
  callbackUrl: h.url,
  expirationDateTime: isoOrNull(h.expiresAt),
  validationState: isValidated(h)
    ? "Webhook endpoint was validated successfully."
    : `Webhook endpoint is not validated yet (${h.validationNote ?? "handshake pending"}).`,
  _links: { imodel: { href: `https://api.bentley.com/imodels/${encodeURIComponent(h.channels[0] ?? "")}` } },
});

export async function create(c: Context<AppEnv>) {
  const b = parse(Create, await jsonBody(c));
  checkUrlOrThrow(c.env, b.callbackUrl, "callbackUrl");
  const { row, secret } = await createHook(c.env, c.get("tenantId"), {
    url: b.callbackUrl, events: b.eventTypes, channels: [b.imodelId], profile: "itwin", secret: b.secret,
    expires_at: b.expirationDateTime, validation: "handshake", description: `iTwin v1 webhook, iModel ${b.imodelId}`,
  });
  c.header("location", `${settings(c.env).publicUrl}/compat/itwin/webhooks/${row.id}`);
  return c.json({ webhook: { id: row.id, secret } }, 201);
}

export async function list(c: Context<AppEnv>) {
  return c.json({ webhooks: (await itwinHooks(c, 1)).map(summary) });
}

export const details = (c: Context<AppEnv>, row: HookRow) => c.json({ webhook: detailsOf(row) });

export async function activate(c: Context<AppEnv>) {
  const row = await itwinHook(c, 1);
  const b = parse(Activate, c.req.header("content-length") === "0" ? null : await jsonBody(c));
  if (!isValidated(row)) {
    throw invalidChange("InvalidActivateWebhookRequest", "Cannot activate webhook.",
      `Webhook subscription '${row.id}' cannot be activated because its callback URL is not validated yet.`, "IsValidated");
  }
  const expiry = b?.expirationDateTime ?? new Date(Date.now() + ITWIN_TTL_DAYS * DAY_MS).toISOString();
  if (Date.parse(expiry) <= Date.now()) {
    throw new ItwinError(422, "InvalidActivateWebhookRequest", "Cannot activate webhook.",
      [{ code: "InvalidRequestBody", message: "expirationDateTime must be in the future.", target: "expirationDateTime" }],
      [{ loc: ["body", "expirationDateTime"], msg: "must be in the future" }]);
  }
  await activateHook(c.env, row, expiry);
  return c.body(null, 202);
}

/** 202, or the 422 "Deactivate a webhook" documents for a webhook that is already inactive. */
export async function deactivate(c: Context<AppEnv>) {
  const row = await itwinHook(c, 1);
  if (isOff(row)) {
    throw invalidChange("InvalidDeactivateWebhookRequest", "Cannot deactivate webhook.",
      `Webhook subscription '${row.id}' cannot be deactivated because it is already deactive.`, "IsActive");
  }
  await deactivateHook(c.env, row);
  return c.body(null, 202);
}

export async function remove(c: Context<AppEnv>, row: HookRow) {
  await deleteHook(c.env, row);
  return c.body(null, 204);
}

/**
 * `GET /webhooks/confirm?id&key`: the single-use link from `WebHook-Request-Callback`. Every failure
 * answers the same 404, so the link reveals nothing about other webhooks.
 */
export async function confirm(c: Context<AppEnv>) {
  const id = c.req.query("id") ?? "";
  const key = c.req.query("key") ?? "";
  const presented = await sha256Hex(key); // hashed whatever the id, so timing says nothing
  const row = id.length <= 100 ? (await db(c.env.DB).select().from(hooks).where(eq(hooks.id, id)).limit(1))[0] : undefined;
  const ok = timingSafeEqual(presented, row?.validationTokenHash ?? "0".repeat(64));
  if (!row || !ok || row.profile !== "itwin" || row.status !== "pending_validation" || (row.validationDeadline ?? 0) < Date.now()) {
    throw webhookNotFound();
  }
  await validated(c.env, row, "validated manually with the confirm link");
  return c.json({ webhook: detailsOf({ ...row, status: "active", validationNote: null }) });
}
