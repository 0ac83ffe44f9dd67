/**
 * Cron (docs/architecture.md#cron). Every 5 minutes: expire hooks, delete unvalidated hooks past
 * 2 days, disable hooks failing 5 days, sweep for stranded work, reconcile D1 with the EndpointDOs
 * (a bounded window of hooks per run, in turn). Daily: retention purge, legacy re-seal, stale
 * portal sessions and redriven dead letters. `now` is the controller's
 * scheduledTime, so tests can run the jobs at any moment. Every job is idempotent and bounded.
 */
import type { Env } from "../env";
import { resealLegacyRows } from "../lifecycle/reseal";
import { log } from "../log";
import { disableFailing } from "./auto-disable";
import { expireHooks } from "./expire";
import { purgeHistory } from "./retention";
import { reconcileHooks } from "./reconcile";
import { purgeStaleRows } from "./stale-rows";
import { sweepStranded } from "./sweep";
import { deleteUnvalidated } from "./unvalidated";

export const DAILY_CRON = "17 3 * * *";

type Job = [name: string, run: (env: Env, now: number) => Promise<number>];
const FREQUENT: Job[] = [
  ["expired", expireHooks],
  ["unvalidated_deleted", deleteUnvalidated],
  ["failing_disabled", disableFailing],
  ["stranded_poked", sweepStranded],
  ["hooks_reconciled", reconcileHooks],
];
const DAILY: Job[] = [["history_purged", purgeHistory], ["legacy_resealed", resealLegacyRows], ["stale_rows_purged", purgeStaleRows]];

export async function runScheduled(cron: string, now: number, env: Env): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const [name, job] of cron === DAILY_CRON ? DAILY : FREQUENT) {
    try {
      results[name] = await job(env, now);
    } catch (err) {
      log("error", "cron job failed", { job: name, cron, error: String(err) });
    }
  }
  log("info", "cron done", { cron, ...results });
  return results;
}
