/**
 * The consumer's delivery loop: for each grant, send, report, and take the next grant while the
 * endpoint is healthy — bounded by count and time. What is left is released by the DO itself.
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
  /** Whether the loop may take one more grant. */
  take(): boolean {
    if (this.left <= 0 || Date.now() >= this.deadline) return false;
    this.left--;
    return true;
  }
}

/** Runs every grant chain to completion; grants of different hooks proceed concurrently. */
export async function runGrants(env: Env, grants: Grant[], budget = new Budget()): Promise<void> {
  await Promise.all(grants.map((g) => chain(env, g, budget)));
}

async function chain(env: Env, first: Grant, budget: Budget): Promise<void> {
  const stub = endpointStub(env.ENDPOINTS, first.hook.hookId);
  let queue: Grant[] = [first];
  while (queue.length) {
    const grant = queue.shift()!;
    const outcome = await attemptDelivery(env, grant);
    try {
      const next = await stub.report(grant.leaseId, outcome, budget.take() ? 1 : 0);
      queue = queue.concat(next);
    } catch (err) {
      // The lease expires and the DO re-releases the delivery: at-least-once, never lost.
      log("error", "report failed", { hook_id: grant.hook.hookId, delivery_id: grant.deliveryId, error: String(err) });
    }
  }
}
