/**
 * The reconciler: converges each hook's two copies of its state, D1's row and its EndpointDO's
 * config (docs/architecture.md#who-owns-what). Each run visits the next window of RECONCILE_BATCH
 * hooks in id order, chosen from the run's time slot, so successive runs cover every hook in turn.
 * Per hook, one DO call (reconcile) that
 *  - takes D1's config if the DO holds an older version (a push that failed);
 *  - returns what the DO holds, from which D1 learns what did not reach it: a disable the DO
 *    decided itself (410, 5 days failing), a delete whose row removal failed (the DO is a
 *    tombstone), a last-status flip.
 * Everything goes through the transitions (src/hooks/transitions.ts); every step is idempotent.
 */
import { asc, count as countRows } from "drizzle-orm";
import { configColumns, db, endpointStub, toHookConfig } from "../db/hooks";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { copyDeliveryStatus, disable, removeRow } from "../hooks/transitions";
import { errorFields, log } from "../log";
import { FREQUENT_PERIOD_MS } from "./limits";

/** Hooks visited per run (each is one D1 row read and one DO call). */
export const RECONCILE_BATCH = 500;
/** DO calls in flight at once. */
const CONCURRENCY = 20;

const reconcileColumns = { ...configColumns, lastStatus: hooks.lastStatus, failingSince: hooks.failingSince };
type Row = { [K in keyof typeof reconcileColumns]: (typeof hooks.$inferSelect)[K] };

/** What one visit did to a hook. */
export type Repair = "config_pushed" | "disable_applied" | "delete_finished" | "status_copied";

export async function reconcileHooks(env: Env, now: number, per = RECONCILE_BATCH): Promise<number> {
  const total = (await db(env.DB).select({ n: countRows() }).from(hooks))[0]?.n ?? 0;
  if (total === 0) return 0;
  const windows = Math.ceil(total / per);
  const offset = (Math.floor(now / FREQUENT_PERIOD_MS) % windows) * per;
  const rows: Row[] = await db(env.DB).select(reconcileColumns).from(hooks).orderBy(asc(hooks.id)).limit(per).offset(offset);
  let repaired = 0;
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      try {
        const did = await reconcileHook(env, row);
        if (did.length) {
          repaired++;
          log("warn", "reconciler repaired a hook", { hook_id: row.id, repairs: did });
        }
      } catch (err) {
        // Left as it was: the hook's next turn tries again.
        log("error", "reconciler could not repair a hook; retried on its next turn", { hook_id: row.id, ...errorFields(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, worker));
  return repaired;
}

/** Converges one hook; returns what it had to repair (empty: D1 and the DO already agreed). */
export async function reconcileHook(env: Env, row: Row): Promise<Repair[]> {
  const did: Repair[] = [];
  const stub = endpointStub(env.ENDPOINTS, row.id);
  const view = await stub.reconcile(toHookConfig(row));
  if (view.pushed) did.push("config_pushed");
  if (view.deleted) {
    // The DO was tombstoned and the row's removal did not happen: finish the delete.
    await removeRow(env, row.id);
    return [...did, "delete_finished"];
  }
  if (view.disabled && row.status === "active" && (view.version ?? 0) >= row.updatedAt) {
    if (await disable(env, row, view.disabled.reason, view.disabled.at)) did.push("disable_applied");
  }
  if (view.lastStatus !== "none" && view.lastStatus !== row.lastStatus) {
    // A last-status flip that did not reach D1 (the error text stays what D1 had).
    await copyDeliveryStatus(env, row.id, view.lastStatus, view.failingSince);
    did.push("status_copied");
  }
  return did;
}
