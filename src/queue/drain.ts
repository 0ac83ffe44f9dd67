/**
 * The consumer's delivery loop. Per hook: send every grant held (concurrently; a strict hook's
 * sequence one at a time, in order), report all their outcomes in one RPC, and take as many next
 * grants while the endpoint is healthy — bounded by count and time. What is left when the budget
 * runs out is released by the DO itself.
 */
import { DRAIN_MAX_MS, DRAIN_MAX_SUBREQUESTS } from "../core/policy";
import { endpointStub } from "../db/hooks";
import type { Env } from "../env";
import type { Grant, Outcome } from "../endpoint/types";
import { errorFields, log } from "../log";
import { attemptDelivery } from "./send";

export class Budget {
  private left: number;
  private readonly deadline: number;
  constructor(count = DRAIN_MAX_SUBREQUESTS, ms = DRAIN_MAX_MS) {
    this.left = count;
    this.deadline = Date.now() + ms;
  }
  /** How many more grants (a fetch each) the loop may take, up to `wanted`, after the call that asks for them. */
  take(wanted: number): number {
    if (Date.now() >= this.deadline) return 0;
    this.left--; // the admit or report that carries the request is a subrequest too
    const n = Math.max(0, Math.min(wanted, this.left));
    this.left -= n;
    return n;
  }
  /** Gives back what was taken but not granted (a call may hand out fewer grants than it asked for). */
  refund(n: number) {
    this.left += Math.max(0, n);
  }
}

/**
 * Runs every hook's grants to completion; hooks proceed concurrently. Returns the hooks whose
 * drain ended on a failed report: a caller holding their deliveries' queue messages (fan-out)
 * must retry those messages rather than acknowledge them.
 */
export async function runGrants(env: Env, grants: Grant[], budget = new Budget()): Promise<Set<string>> {
  const byHook = Map.groupBy(grants, (g) => g.hook.hookId);
  const failed = new Set<string>();
  await Promise.all([...byHook.entries()].map(async ([hookId, held]) => {
    if (!(await drainHook(env, held, budget))) failed.add(hookId);
  }));
  return failed;
}

/** Whether every outcome reached the hook's EndpointDO. */
async function drainHook(env: Env, first: Grant[], budget: Budget): Promise<boolean> {
  const stub = endpointStub(env.ENDPOINTS, first[0]!.hook.hookId);
  let held = first;
  while (held.length) {
    const outcomes = held[0]!.hook.ordering === "strict" ? await inSequence(env, held) : await Promise.all(held.map((g) => attemptDelivery(env, g)));
    try {
      const want = budget.take(held.length);
      held = await stub.report(held.map((g, i) => ({ leaseId: g.leaseId, outcome: outcomes[i]! })), want);
      budget.refund(want - held.length);
    } catch (err) {
      // The leases expire and the DO re-releases the deliveries: at-least-once, never lost.
      log("error", "report failed", { hook_id: held[0]!.hook.hookId, leases: held.length, error: String(err) });
      return false;
    }
  }
  return true;
}

/**
 * A strict sequence: one request at a time, in order; after the first failure the rest are not
 * sent. Between two requests the consumer checks that the hook is still the one it was granted for
 * (sequenceGoesOn): deleted, deactivated or changed, and the rest go back unsent (null outcomes),
 * so at most the request already in flight reaches the URL after the change.
 */
async function inSequence(env: Env, held: Grant[]): Promise<(Outcome | null)[]> {
  const out: (Outcome | null)[] = [];
  let stopped = false;
  for (const g of held) {
    if (!stopped && out.length > 0) stopped = !(await sequenceGoesOn(env, g));
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

/**
 * The version check between two requests of a strict sequence: one D1 read of the hook's row by
 * primary key (no Durable Object round trip). Every transition stamps a new version on the row
 * before it reaches the DO (src/hooks/transitions.ts), so a row that is gone, inactive or newer
 * than the granted config means: stop here. A failed read stops too (the rest are sent later).
 */
async function sequenceGoesOn(env: Env, g: Grant): Promise<boolean> {
  try {
    const row = await env.DB.prepare(`SELECT status, enabled, updated_at FROM hooks WHERE id = ?`)
      .bind(g.hook.hookId).first<{ status: string; enabled: number; updated_at: number }>();
    return !!row && row.status === "active" && !!row.enabled && (g.hook.version === undefined || row.updated_at <= g.hook.version);
  } catch (err) {
    log("error", "strict sequence stopped: hook version check failed", { hook_id: g.hook.hookId, ...errorFields(err) });
    return false;
  }
}
