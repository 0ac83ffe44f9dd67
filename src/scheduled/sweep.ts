/**
 * Safety net for a lost alarm or lease: poke the EndpointDO of active hooks, a bounded window per
 * run, in turn. A poke runs the DO's alarm logic (expire leases, release due work, re-arm the
 * alarm) and is a no-op when nothing waits.
 */
import { and, eq } from "drizzle-orm";
import { hooks } from "../db/schema";
import type { Env } from "../env";
import { CRON_POKE_BATCH, FREQUENT_PERIOD_MS } from "./limits";
import { forEachHookInTurn } from "./rotation";

export function sweepStranded(env: Env, now: number): Promise<number> {
  const active = and(eq(hooks.status, "active"), eq(hooks.enabled, true));
  return forEachHookInTurn(env, active, now, FREQUENT_PERIOD_MS, CRON_POKE_BATCH, async (stub) => (await stub.poke(), 1));
}
