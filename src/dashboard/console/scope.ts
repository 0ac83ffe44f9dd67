/**
 * Who is looking, and at which hooks: the one thing that differs between the dashboard (a tenant's
 * key, every hook) and the consumer portal (a sealed link, the hooks of one channel). The console's
 * routes read and change hooks only through these functions and the hook service that /v1 uses.
 */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { isId } from "../../core/ids";
import { hookOr404 } from "../../hooks/service";
import { db, listHooks } from "../../db/hooks";
import { eventTypes, hooks, type HookRow } from "../../db/schema";
import type { Env } from "../../env";
import { AppError, notFound } from "../../errors";

export interface ConsoleScope {
  kind: "dashboard" | "portal";
  /** path prefix of every console link: /dashboard, or /portal/<token> */
  base: string;
  tenantId: string;
  /** portal: the hooks whose channels are exactly [channel]; new hooks get it. Dashboard: null (all). */
  channel: string | null;
  /** create, edit, enable/disable, delete, rotate */
  canManage: boolean;
  /** test, resend, recover */
  canDeliver: boolean;
  /** shown in the header: "Hookline", or the tenant's branding name */
  brand: string;
  returnUrl: string | null;
  stylesheets: string[];
}

/** The scope's hooks in id order after `after` (one-off targets are never listed). */
export async function scopedHooks(env: Env, scope: ConsoleScope, after: string | undefined, limit: number): Promise<HookRow[]> {
  if (scope.channel === null) return listHooks(env.DB, scope.tenantId, after, limit);
  const mine = and(
    eq(hooks.tenantId, scope.tenantId), eq(hooks.ephemeral, false),
    sql`json_array_length(${hooks.channels}) = 1`, sql`json_extract(${hooks.channels}, '$[0]') = ${scope.channel}`,
  );
  return db(env.DB).select().from(hooks).where(after ? and(mine, gt(hooks.id, after)) : mine).orderBy(asc(hooks.id)).limit(limit);
}

/** Whether a hook is inside the scope: the tenant's, not a one-off target, and (portal) exactly the channel's. */
export const inScope = (scope: ConsoleScope, row: HookRow) =>
  row.tenantId === scope.tenantId && !row.ephemeral &&
  (scope.channel === null || (row.channels.length === 1 && row.channels[0] === scope.channel));

/** The hook, or a 404 — the same answer for a malformed id, another tenant's hook and another channel's. */
export async function scopedHook(env: Env, scope: ConsoleScope, id: string): Promise<HookRow> {
  if (!isId("hook", id)) throw notFound("hook");
  const row = await hookOr404(env, scope.tenantId, id);
  if (!inScope(scope, row)) throw notFound("hook");
  return row;
}

export function requireManage(scope: ConsoleScope) {
  if (!scope.canManage) throw new AppError(403, "forbidden", "Forbidden", scope.kind === "portal" ? "This link is read-only." : "This API key lacks the webhook:manage scope.");
}

export function requireDeliver(scope: ConsoleScope) {
  if (!scope.canDeliver) throw new AppError(403, "forbidden", "Forbidden", scope.kind === "portal" ? "This link cannot send or resend events." : "This API key lacks the webhook:manage scope.");
}

/** The tenant's catalogue (not archived), for picking event types with their descriptions. */
export async function catalogue(env: Env, tenantId: string): Promise<{ name: string; description: string | null }[]> {
  return db(env.DB).select({ name: eventTypes.name, description: eventTypes.description }).from(eventTypes)
    .where(and(eq(eventTypes.tenantId, tenantId), eq(eventTypes.archived, false))).orderBy(eventTypes.name);
}
