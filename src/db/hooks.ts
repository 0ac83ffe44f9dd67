/** Hook rows: reads, writes, and the two shapes derived from a row (API view, DO config). */
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { HookFilter } from "../core/filters";
import type { ProfileName } from "../core/profiles";
import type { SignatureScheme } from "../core/profiles/standard";
import type { HookOut } from "../core/schemas";
import { isoOrNull } from "../core/time";
import type { EndpointDO } from "../endpoint/endpoint-do";
import type { HookConfig } from "../endpoint/types";
import { hooks, type HookRow } from "./schema";

export const db = (d1: D1Database) => drizzle(d1);

const ICONS = { none: "❕", succeeded: "✔", failed: "❌" } as const;

export function toHookOut(row: HookRow): HookOut {
  const last = (row.lastStatus as keyof typeof ICONS) ?? "none";
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    channels: row.channels,
    filter: (row.filter as HookFilter | null) ?? null,
    profile: row.profile as ProfileName,
    enabled: row.enabled,
    status: row.status as HookOut["status"],
    disabled_reason: row.disabledReason,
    expires_at: isoOrNull(row.expiresAt),
    ordering: row.ordering as HookOut["ordering"],
    max_in_flight: row.maxInFlight,
    order_window_ms: row.orderWindowMs,
    retry_schedule: row.retrySchedule ?? null,
    timeout_ms: row.timeoutMs,
    rate_limit_per_s: row.rateLimitPerS,
    headers: row.headers,
    metadata: row.metadata,
    validation: row.validation as HookOut["validation"],
    validation_note: row.validationNote,
    alias: row.alias,
    has_secret: row.secretEnc !== null,
    signature_scheme: row.signatureScheme as SignatureScheme,
    public_key: row.publicKey,
    last_delivery: {
      status: last,
      icon: ICONS[last] ?? ICONS.none,
      at: isoOrNull(row.lastDeliveryAt),
      error: last === "failed" ? row.lastError : null,
    },
    created_at: new Date(row.createdAt).toISOString(),
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

/** What the hook's EndpointDO needs to order and deliver. */
export function toHookConfig(row: HookRow): HookConfig {
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

/** Hooks that can receive deliveries, for every tenant in a batch: one D1 read per fan-out batch. */
export async function routableHooks(d1: D1Database, tenantIds: string[]): Promise<HookRow[]> {
  if (tenantIds.length === 0) return [];
  return db(d1)
    .select()
    .from(hooks)
    .where(and(inArray(hooks.tenantId, tenantIds), eq(hooks.status, "active"), eq(hooks.enabled, true), eq(hooks.ephemeral, false)));
}

/** Rows by id, 90 at a time (D1 binds at most 100 parameters per statement). */
export async function hooksByIds(d1: D1Database, ids: string[]): Promise<HookRow[]> {
  const out: HookRow[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    out.push(...(await db(d1).select().from(hooks).where(inArray(hooks.id, ids.slice(i, i + 90)))));
  }
  return out;
}

/** The RPC surface of a hook's EndpointDO (typed by hand: Rpc's inference gives up on `unknown` payloads). */
export type EndpointApi = {
  [K in "admit" | "report" | "claim" | "configure" | "cancelAll" | "destroy" | "purge" | "poke" | "listDeliveries" | "getDelivery" | "requeue" | "recover" | "stats" | "snapshot" | "owner"]:
    (...args: Parameters<EndpointDO[K]>) => Promise<Awaited<ReturnType<EndpointDO[K]>>>;
};

export const endpointStub = (ns: DurableObjectNamespace<EndpointDO>, hookId: string): EndpointApi =>
  ns.get(ns.idFromName(hookId)) as unknown as EndpointApi;
