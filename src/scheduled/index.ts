/** Cron entry: every 5 minutes the lifecycle jobs, daily the retention purge (DESIGN §7). */
import type { Env } from "../env";
import { log } from "../log";
import { sweepStranded } from "./sweep";

export async function runScheduled(cron: string, now: number, env: Env): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  const jobs: [string, () => Promise<number>][] = [["sweep", () => sweepStranded(env, now)]];
  for (const [name, job] of jobs) {
    try {
      results[name] = await job();
    } catch (err) {
      log("error", "cron job failed", { job: name, cron, error: String(err) });
    }
  }
  log("info", "cron done", { cron, ...results });
  return results;
}
