/** Hook rows: reads, and the DO config derived from a row (writes go through src/hooks/transitions.ts). */
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { ProfileName } from "../core/profiles";
import type { SignatureScheme } from "../core/profiles/standard";
import type { HookConfig } from "../endpoint/types";
import { hooks, type HookRow } from "./schema";

export const db = (d1: D1Database) => drizzle(d1);

/** The API view of a row lives with the API (src/api/views.ts); re-exported for existing callers. */
export { toHookOut } from "../api/views";

/**
 * The columns toHookConfig reads, and nothing else: fan-out and the crons load these instead of
 * whole rows (metadata, filter, channels and the validation fields stay in D1). A field that
 * toHookConfig starts reading must be added here — the HookConfigRow type makes tsc say so.
 */
export const configColumns = {
  id: hooks.id, tenantId: hooks.tenantId, url: hooks.url, description: hooks.description, events: hooks.events,
  profile: hooks.profile, secretEnc: hooks.secretEnc, prevSecretEnc: hooks.prevSecretEnc, prevSecretUntil: hooks.prevSecretUntil,
  signatureScheme: hooks.signatureScheme, signingKeyEnc: hooks.signingKeyEnc, prevSigningKeyEnc: hooks.prevSigningKeyEnc,
  headers: hooks.headers, timeoutMs: hooks.timeoutMs, ordering: hooks.ordering, maxInFlight: hooks.maxInFlight,
  orderWindowMs: hooks.orderWindowMs, retrySchedule: hooks.retrySchedule, rateLimitPerS: hooks.rateLimitPerS,
  status: hooks.status, enabled: hooks.enabled, whileInactive: hooks.whileInactive, ephemeral: hooks.ephemeral, updatedAt: hooks.updatedAt,
};
export type HookConfigRow = Pick<HookRow, keyof typeof configColumns>;

/**
 * Statuses whose hooks fan-out admits to: inactive means paused, not deaf
 * (docs/architecture.md#hook-states). A deactivated, disabled or expired hook's EndpointDO holds what matches (or
 * records it `skipped`); only a hook still pending validation receives nothing.
 */
export const ROUTABLE_STATUSES = ["active", "disabled", "expired"] as const;
export const isRoutable = (h: Pick<HookRow, "status">) => (ROUTABLE_STATUSES as readonly string[]).includes(h.status);

/** The columns that decide whether an event goes to a hook (events, channels, filter), for fan-out. */
export const routingColumns = {
  id: hooks.id, tenantId: hooks.tenantId, events: hooks.events, channels: hooks.channels, filter: hooks.filter,
  status: hooks.status, enabled: hooks.enabled, updatedAt: hooks.updatedAt,
};
export type HookRoutingRow = Pick<HookRow, keyof typeof routingColumns>;

/** What the hook's EndpointDO needs to order and deliver. */
export function toHookConfig(row: HookConfigRow): HookConfig {
  return {
    hookId: row.id,
    tenantId: row.tenantId,
    url: row.url,
    description: row.description,
    events: row.events,
    profile: row.profile as ProfileName,
    secretEnc: row.secretEnc,
    prevSecretEnc: row.prevSecretEnc,
    prevSecretUntil: row.prevSecretUntil,
    signatureScheme: row.signatureScheme as SignatureScheme,
    signingKeyEnc: row.signingKeyEnc,
    prevSigningKeyEnc: row.prevSigningKeyEnc,
    headers: row.headers,
    timeoutMs: row.timeoutMs,
    ordering: row.ordering as HookConfig["ordering"],
    maxInFlight: row.maxInFlight,
    orderWindowMs: row.orderWindowMs,
    retrySchedule: row.retrySchedule ?? null,
    rateLimitPerS: row.rateLimitPerS,
    active: row.status === "active" && row.enabled,
    whileInactive: row.whileInactive === "skip" ? "skip" : "hold",
    ephemeral: row.ephemeral,
    version: row.updatedAt,
  };
}

export async function getHook(d1: D1Database, tenantId: string, id: string): Promise<HookRow | undefined> {
  const rows = await db(d1).select().from(hooks).where(and(eq(hooks.tenantId, tenantId), eq(hooks.id, id))).limit(1);
  return rows[0];
}

export async function listHooks(d1: D1Database, tenantId: string, after: string | undefined, limit: number): Promise<HookRow[]> {
  const mine = and(eq(hooks.tenantId, tenantId), eq(hooks.ephemeral, false));
  const cond = after ? and(mine, gt(hooks.id, after)) : mine;
  return db(d1).select().from(hooks).where(cond).orderBy(asc(hooks.id)).limit(limit);
}

/**
 * One page of a tenant's routable hooks (see ROUTABLE_STATUSES; not one-off), routing columns only, in id
 * order after `after`. Fan-out pages through a tenant this way, so what it holds in memory is
 * bounded by the page, whatever the tenant's hook count or definitions' size.
 */
export async function routableHooksPage(d1: D1Database, tenantId: string, after: string | null, limit: number): Promise<HookRoutingRow[]> {
  const routable = and(eq(hooks.tenantId, tenantId), inArray(hooks.status, [...ROUTABLE_STATUSES]), eq(hooks.ephemeral, false));
  return db(d1)
    .select(routingColumns)
    .from(hooks)
    .where(after ? and(routable, gt(hooks.id, after)) : routable)
    .orderBy(asc(hooks.id))
    .limit(limit);
}

/** The DO config columns of hooks by id (the hooks fan-out matched), 90 ids per statement. */
export async function hookConfigsByIds(d1: D1Database, ids: string[]): Promise<HookConfigRow[]> {
  const out: HookConfigRow[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    out.push(...(await db(d1).select(configColumns).from(hooks).where(inArray(hooks.id, ids.slice(i, i + 90)))));
  }
  return out;
}

/** Routing and config columns of hooks by id (fan-out chunks and one-off targets), 90 per statement. */
export async function routedHooksByIds(d1: D1Database, ids: string[]): Promise<(HookRoutingRow & HookConfigRow)[]> {
  const out: (HookRoutingRow & HookConfigRow)[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    out.push(...(await db(d1).select({ ...configColumns, ...routingColumns }).from(hooks).where(inArray(hooks.id, ids.slice(i, i + 90)))));
  }
  return out;
}

/** The EndpointDO's typed RPC surface lives with it (src/endpoint/client.ts); re-exported for existing callers. */
export { endpointStub, type EndpointApi } from "../endpoint/client";
