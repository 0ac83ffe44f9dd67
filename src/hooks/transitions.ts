/**
 * One owner for hook state (docs/architecture.md#who-owns-what).
 *
 * A hook's state lives in two places: its row in D1 (the source of truth, what the API shows) and
 * the copy of its config that its EndpointDO acts on. Every change of that state goes through this
 * module: create, update, activate, deactivate, validate, expire, auto-disable, gone (410), rotate
 * and delete. Each transition
 *  1. writes D1, and stamps the row with a new `updated_at`, which is the config's version;
 *  2. pushes that versioned config to the DO (an older version never replaces a newer one there);
 *  3. emits its operational event under an id derived from the transition (so a retry is delivered once).
 *
 * A failed D1 write fails the transition: nothing changed anywhere. A failed push after it is logged
 * with the hook id and left to the reconciler (src/scheduled/reconcile.ts), which re-pushes D1's
 * config to every DO that holds an older version, applies the disables a DO decided itself (410,
 * 5 days failing) that did not reach D1, and finishes half-done deletes. Every step is idempotent.
 *
 * Delete is a tombstone first: the DO gets a `deleted` config (nothing is sent again, everything
 * live ends `cancelled`, whatever a stale fan-out batch admits later ends `cancelled` too), then the
 * row goes. A failure between the two leaves a row whose DO is a tombstone: the reconciler removes it.
 */
import { and, eq, lte } from "drizzle-orm";
import { configColumns, db, toHookConfig, type HookConfigRow } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import { endpointStub } from "../endpoint/client";
import type { Env } from "../env";
import { emitOperational } from "../lifecycle/operational";
import { errorFields, log } from "../log";

/** The version of a row about to change: now, and always past the version it had. */
export const nextVersion = (row: Pick<HookRow, "updatedAt">, now = Date.now()) => Math.max(now, row.updatedAt + 1);

/**
 * Hands a row's config to its EndpointDO. Returns whether it arrived; a failure is logged and left
 * to the reconciler (the D1 row already holds the new state, under a newer version).
 */
export async function pushConfig(env: Env, row: HookConfigRow): Promise<boolean> {
  try {
    await endpointStub(env.ENDPOINTS, row.id).configure(toHookConfig(row));
    return true;
  } catch (err) {
    log("error", "hook config not pushed to its endpoint; the reconciler will", { hook_id: row.id, version: row.updatedAt, ...errorFields(err) });
    return false;
  }
}

/** A new hook: its row, then its config (so the DO knows it before the first event). */
export async function insertHook(env: Env, row: HookRow): Promise<HookRow> {
  await db(env.DB).insert(hooks).values(row);
  await pushConfig(env, row);
  return row;
}

/**
 * A change the API (or the handshake) asked for: update, activate, deactivate, validate, rotate.
 * Writes the patch under a new version, then pushes the config.
 */
export async function commit(env: Env, row: HookRow, patch: Partial<HookRow>): Promise<HookRow> {
  const next: HookRow = { ...row, ...patch, updatedAt: nextVersion(row, patch.updatedAt) };
  await db(env.DB).update(hooks).set({ ...patch, updatedAt: next.updatedAt }).where(eq(hooks.id, row.id));
  await pushConfig(env, next);
  return next;
}

/** Deactivate: the DO holds (or skips, per while_inactive) what matches until the hook is activated. */
export const deactivate = (env: Env, row: HookRow) => commit(env, row, { enabled: false });

/** Activate (also revives a disabled or expired hook): what was held leaves in order. */
export const activate = (env: Env, row: HookRow, expiresAt: number | null) =>
  commit(env, row, { enabled: true, status: "active", disabledReason: null, expiresAt, failingSince: null });

/** The handshake (or the callback link) validated the hook: pending_validation → active, the token is spent. */
export const validated = (env: Env, row: HookRow, validationNote: string) =>
  commit(env, row, { status: "active", validationTokenHash: null, validationDeadline: null, validationNote });

/** What a disable names in its operational event. */
export type HookRef = Pick<HookConfigRow, "id" | "tenantId" | "url">;

/**
 * Disables an active hook (reason `gone`: a 410; `failing`: 5 days of failures) as of `at`. Called
 * by the hook's own EndpointDO when it decided so (`push: false`: it already holds the inactive
 * config), by the auto-disable cron, and by the reconciler when the DO's decision did not reach D1.
 *
 * The event id comes from (hook, at), and the event goes out before the D1 write: a retry after any
 * failure emits the same id (delivered once) and writes the same row. A hook changed after `at`
 * (re-activated, say) is left alone. Returns the disabled row, or null when it was not disabled now.
 */
export async function disable(env: Env, hook: HookRef, reason: string, at: number, opts: { push?: boolean } = {}): Promise<HookConfigRow | null> {
  await emitOperational(env, hook.tenantId, "hookline.hook.disabled", `${hook.id}:${at}`, {
    hook_id: hook.id, url: hook.url, reason, disabled_at: new Date(at).toISOString(),
  });
  await db(env.DB).update(hooks).set({ status: "disabled", disabledReason: reason, updatedAt: at })
    .where(and(eq(hooks.id, hook.id), eq(hooks.status, "active"), lte(hooks.updatedAt, at)));
  const cur = (await db(env.DB).select(configColumns).from(hooks).where(eq(hooks.id, hook.id)).limit(1))[0];
  if (!cur || cur.status !== "disabled" || cur.updatedAt !== at) return null;
  log("warn", "hook disabled", { hook_id: hook.id, reason, at });
  if (opts.push !== false) await pushConfig(env, cur);
  return cur;
}

/** An active hook past its expires_at becomes `expired` (inactive, kept; `activate` revives it). */
export async function expire(env: Env, hook: HookConfigRow & { expiresAt: number | null }, now: number): Promise<boolean> {
  await emitOperational(env, hook.tenantId, "hookline.hook.expired", `${hook.id}:${hook.expiresAt}`, {
    hook_id: hook.id, url: hook.url, expires_at: new Date(hook.expiresAt ?? now).toISOString(),
  });
  const version = nextVersion(hook, now);
  const res = await db(env.DB).update(hooks).set({ status: "expired", updatedAt: version })
    .where(and(eq(hooks.id, hook.id), eq(hooks.status, "active"), lte(hooks.expiresAt, now)));
  if (!changed(res)) return false;
  log("info", "hook expired", { hook_id: hook.id, tenant_id: hook.tenantId });
  await pushConfig(env, { ...hook, status: "expired", updatedAt: version });
  return true;
}

/**
 * Deletes a hook: tombstone first (the DO ends every live delivery `cancelled` and will send nothing
 * again), then the row. A failed tombstone fails the delete with nothing changed; a failed row
 * delete after it leaves a tombstoned DO under a live row, which the reconciler removes (and the
 * caller sees the error and may retry: both steps are idempotent).
 */
export async function remove(env: Env, row: HookConfigRow): Promise<void> {
  const version = nextVersion(row);
  await endpointStub(env.ENDPOINTS, row.id).configure({ ...toHookConfig(row), active: false, deleted: true, version });
  await removeRow(env, row.id);
}

/** The row of a hook whose DO is a tombstone (or was destroyed). */
export async function removeRow(env: Env, hookId: string): Promise<void> {
  await db(env.DB).delete(hooks).where(eq(hooks.id, hookId));
}

/** A hook never validated within its deadline: its DO's storage goes first, then the row. */
export async function removeUnvalidated(env: Env, hookId: string): Promise<void> {
  await endpointStub(env.ENDPOINTS, hookId).destroy();
  await db(env.DB).delete(hooks).where(and(eq(hooks.id, hookId), eq(hooks.status, "pending_validation")));
}

/** A one-off target whose last delivery ended: its row goes; its DO keeps the history. */
export async function retireOneOff(env: Env, hookId: string): Promise<void> {
  await db(env.DB).delete(hooks).where(and(eq(hooks.id, hookId), eq(hooks.ephemeral, true)));
}

/** The last delivery result the hook's DO saw flipped (no new version: the DO's config is unchanged). */
export async function recordDeliveryStatus(
  env: Env, hookId: string, s: { status: "succeeded" | "failed"; error: string | null; at: number; failingSince: number | null },
): Promise<void> {
  await db(env.DB).update(hooks).set({ lastStatus: s.status, lastError: s.error, lastDeliveryAt: s.at, failingSince: s.failingSince })
    .where(eq(hooks.id, hookId));
}

/** The reconciler's copy of a status flip that did not reach D1 (its error text is not kept by the DO). */
export async function copyDeliveryStatus(env: Env, hookId: string, status: "succeeded" | "failed", failingSince: number | null): Promise<void> {
  await db(env.DB).update(hooks).set({ lastStatus: status, failingSince, ...(status === "succeeded" ? { lastError: null } : {}) })
    .where(eq(hooks.id, hookId));
}

const changed = (res: unknown) => ((res as { meta?: { changes?: number } }).meta?.changes ?? 0) > 0;
