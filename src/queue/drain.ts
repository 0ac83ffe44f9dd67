/**
 * The consumer's delivery loop. Per hook: send every grant held (concurrently), report all their
 * outcomes in one RPC, and take as many next grants while the endpoint is healthy — bounded by
 * count and time. What is left when the budget runs out is released by the DO itself.
 */
import { DRAIN_MAX_DELIVERIES, DRAIN_MAX_MS } from "../core/policy";
import { endpointStub } from "../db/hooks";
import type { Env } from "../env";
import type { Grant } from "../endpoint/types";
import { log } from "../log";
import { attemptDelivery } from "./send";

export class Budget {
  private left: number;
  private readonly deadline: number;
  constructor(count = DRAIN_MAX_DELIVERIES, ms = DRAIN_MAX_MS) {
    this.left = count;
    this.deadline = Date.now() + ms;
  }
  /** How many more grants the loop may take (up to `wanted`). */
  take(wanted: number): number {
    if (Date.now() >= this.deadline) return 0;
    const n = Math.max(0, Math.min(wanted, this.left));
    this.left -= n;
    return n;
  }
}

/** Runs every hook's grants to completion; hooks proceed concurrently. */
export async function runGrants(env: Env, grants: Grant[], budget = new Budget()): Promise<void> {
  const byHook = Map.groupBy(grants, (g) => g.hook.hookId);
  await Promise.all([...byHook.values()].map((held) => drainHook(env, held, budget)));
}

async function drainHook(env: Env, first: Grant[], budget: Budget): Promise<void> {
  const stub = endpointStub(env.ENDPOINTS, first[0]!.hook.hookId);
  let held = first;
  while (held.length) {
    const outcomes = await Promise.all(held.map((g) => attemptDelivery(env, g)));
    try {
      held = await stub.report(held.map((g, i) => ({ leaseId: g.leaseId, outcome: outcomes[i]! })), budget.take(held.length));
    } catch (err) {
      // The leases expire and the DO re-releases the deliveries: at-least-once, never lost.
      log("error", "report failed", { hook_id: held[0]!.hook.hookId, leases: held.length, error: String(err) });
      return;
    }
  }
}
