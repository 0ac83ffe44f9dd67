/**
 * Per-tenant limits (issue 15, finding 1): how many hooks and live one-off targets a tenant may
 * have, and how large one hook definition may be. Values come from env vars with the defaults in
 * core/policy.ts (env.ts `tenantQuotas`). Every route that creates or changes a hook goes through
 * the hook service (src/hooks/service.ts), which calls these.
 */
import { and, count, eq } from "drizzle-orm";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import type { Env } from "../env";
import { tenantQuotas } from "../env";
import { AppError } from "../errors";
import { DEFAULT_MAX_HOOK_BYTES, DEFAULT_MAX_HOOKS_PER_TENANT, DEFAULT_MAX_ONE_OFF_TARGETS_PER_TENANT } from "../core/policy";

const enc = new TextEncoder();

/** The part of a hook its owner controls, serialized: what MAX_HOOK_BYTES caps. */
export function hookDefinitionBytes(row: Pick<HookRow, "url" | "description" | "events" | "channels" | "filter" | "headers" | "metadata" | "retrySchedule" | "alias">): number {
  const { url, description, events, channels, filter, headers, metadata, retrySchedule, alias } = row;
  return enc.encode(JSON.stringify({ url, description, events, channels, filter, headers, metadata, retrySchedule, alias })).byteLength;
}

/** 413 when the definition (url, description, events, channels, filter, headers, metadata, retry schedule) is too large. */
export function checkHookSize(env: Env, row: Parameters<typeof hookDefinitionBytes>[0]): void {
  const limit = tenantQuotas(env).hookBytes;
  const size = hookDefinitionBytes(row);
  if (size > limit) {
    throw new AppError(413, "hook-too-large", "Hook definition too large",
      `The hook's definition (url, description, events, channels, filter, headers, metadata, retry_schedule) is ${size} bytes serialized; the limit is ${limit}.`);
  }
}

/**
 * Before creating a hook: 409 when the tenant already has its quota of hooks, 429 when it has its
 * quota of one-off targets still delivering (each is removed after its last delivery ends). The
 * count reads the (tenant_id, ephemeral) index only. Concurrent creates may pass the same count, so
 * a tenant can exceed a quota by the requests it has in flight at once, not more.
 */
export async function checkHookQuota(env: Env, tenantId: string, ephemeral: boolean): Promise<void> {
  const q = tenantQuotas(env);
  const limit = ephemeral ? q.oneOffTargets : q.hooks;
  const [row] = await db(env.DB).select({ n: count() }).from(hooks).where(and(eq(hooks.tenantId, tenantId), eq(hooks.ephemeral, ephemeral)));
  const n = row?.n ?? 0;
  if (n < limit) return;
  if (ephemeral) {
    throw new AppError(429, "one-off-target-quota-exceeded", "One-off target quota exceeded",
      `${n} one-off targets of this tenant are still delivering; the limit is ${limit}. Publish with a target again once some have finished.`);
  }
  throw new AppError(409, "hook-quota-exceeded", "Hook quota exceeded",
    `This tenant has ${n} hooks; the limit is ${limit}. Delete hooks it no longer needs first.`);
}

/** The limits as the OpenAPI document states them (defaults; a deployment may change them). */
export const QUOTAS_DOC =
  `Per-tenant quotas (defaults; a deployment may change them): at most ${DEFAULT_MAX_HOOKS_PER_TENANT} hooks ` +
  "(`MAX_HOOKS_PER_TENANT`; a create over it answers 409 `hook-quota-exceeded`), at most " +
  `${DEFAULT_MAX_ONE_OFF_TARGETS_PER_TENANT} one-off targets still delivering ` +
  "(`MAX_ONE_OFF_TARGETS_PER_TENANT`; 429 `one-off-target-quota-exceeded`), and a hook definition (url, description, " +
  `events, channels, filter, headers, metadata, retry_schedule) of at most ${DEFAULT_MAX_HOOK_BYTES} bytes serialized ` +
  "(`MAX_HOOK_BYTES`; 413 `hook-too-large`).";
