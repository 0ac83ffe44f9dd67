/**
 * The consumer's delivery loop. Per hook: send every grant held (concurrently; a strict hook's
 * sequence one at a time, in order), report all their outcomes in one RPC, and take as many next
 * grants while the endpoint is healthy — bounded by count and time. What is left when the budget
 * runs out is released by the DO itself.
 */
import { DRAIN_MAX_DELIVERIES, DRAIN_MAX_MS } from "../core/policy";
import { endpointStub } from "../db/hooks";
import type { Env } from "../env";
import type { Grant, Outcome } from "../endpoint/types";
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
    const outcomes = held[0]!.hook.ordering === "strict" ? await inSequence(env, held) : await Promise.all(held.map((g) => attemptDelivery(env, g)));
    try {
      held = await stub.report(held.map((g, i) => ({ leaseId: g.leaseId, outcome: outcomes[i]! })), budget.take(held.length));
    } catch (err) {
      // The leases expire and the DO re-releases the deliveries: at-least-once, never lost.
      log("error", "report failed", { hook_id: held[0]!.hook.hookId, leases: held.length, error: String(err) });
      return;
    }
  }
}

/** A strict sequence: one request at a time, in order; after the first failure the rest are not sent. */
async function inSequence(env: Env, held: Grant[]): Promise<(Outcome | null)[]> {
  const out: (Outcome | null)[] = [];
  let stopped = false;
  for (const g of held) {
    if (stopped) {
      out.push(null);
      continue;
    }
    const o = await attemptDelivery(env, g);
    out.push(o);
    stopped = !o.ok;
  }
  return out;
}
