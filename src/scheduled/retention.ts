/** Daily: delivery history older than LOG_RETENTION_DAYS is purged from hooks' EndpointDOs, a bounded window per run, in turn. */
import { DAY_MS } from "../core/time";
import type { Env } from "../env";
import { settings } from "../env";
import { CRON_POKE_BATCH } from "./limits";
import { forEachHookInTurn } from "./rotation";

export function purgeHistory(env: Env, now: number): Promise<number> {
  const before = now - settings(env).logRetentionDays * DAY_MS;
  return forEachHookInTurn(env, undefined, now, DAY_MS, CRON_POKE_BATCH, (stub) => stub.purge(before));
}
