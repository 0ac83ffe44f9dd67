/** A driver for the pure EndpointDO machine that behaves like its shell (see Sim). */
import {
  compareKeys, decide, emptyState, inMemory, needsPage, orderKey, pageSize, sortAt,
  type Clock, type Effect, type Input, type MachineState, type WindowLimits,
} from "../../src/endpoint/machine";
import type { Delivery, HookConfig, Outcome } from "../../src/endpoint/types";

export const T0 = Date.parse("2026-06-01T00:00:00Z");

export const config = (over: Partial<HookConfig> = {}): HookConfig => ({
  hookId: "hook_1", tenantId: "ten_1", url: "https://e.com", description: null, events: ["*"], profile: "standard",
  secretEnc: null, prevSecretEnc: null, prevSecretUntil: null, headers: {}, timeoutMs: 15_000,
  ordering: "strict", maxInFlight: 10, orderWindowMs: 0, retrySchedule: null, rateLimitPerS: null, active: true, ...over,
});

/**
 * A tiny driver: state + clock, run inputs, collect effects. Like the DO shell, it keeps the live
 * deliveries as "stored" (applying save/finish effects) and pages the next ones in by queue order
 * whenever the window runs low — so small window limits exercise the page boundaries.
 */
export class Sim {
  state: MachineState;
  now = T0;
  leases = 0;
  effects: Effect[] = [];
  /** Live deliveries as storage holds them. */
  rows = new Map<string, Delivery>();
  pages = 0;
  constructor(cfg: Partial<HookConfig> = {}, limits?: WindowLimits) {
    this.state = emptyState(limits);
    this.run({ type: "configure", config: config(cfg) });
  }
  clock = (): Clock => ({ now: this.now, random: () => 0.5, newLeaseId: () => `L${++this.leases}` });
  /** Everything live, as the machine holds it in memory (in flight first, then the window). */
  get queue(): Delivery[] {
    return inMemory(this.state);
  }
  run(input: Input): Effect[] {
    const want = "want" in input ? input.want : 0;
    const all: Effect[] = [];
    let d = decide(this.state, input, this.clock());
    for (;;) {
      this.state = d.state;
      all.push(...d.effects);
      for (const e of d.effects) {
        if (e.type === "save") this.rows.set(e.delivery.id, e.delivery);
        else if (e.type === "finish") this.rows.delete(e.delivery.id);
        else if (e.type === "cancel_stored") this.rows.clear();
      }
      if (!needsPage(this.state)) break;
      this.pages++;
      const rows = this.page();
      if (!rows.length) throw new Error(`live count drift: ${this.state.live} live, ${this.rows.size} stored rows`);
      d = decide(this.state, { type: "page", deliveries: rows, want: Math.max(0, want - all.filter((e) => e.type === "grant").length) }, this.clock());
    }
    this.effects.push(...all);
    return all;
  }
  /** The shell's page query: stored live rows after the window's last, in queue order, not in flight. */
  page(): Delivery[] {
    const ord = this.state.config?.ordering;
    const cmp = (a: Delivery, b: Delivery) => sortAt(ord, a) - sortAt(ord, b) || compareKeys(orderKey(a), orderKey(b));
    const last = this.state.window.at(-1);
    const flying = new Set(this.state.inFlight.map((x) => x.id));
    return [...this.rows.values()]
      .filter((r) => !flying.has(r.id) && (!last || cmp(r, last) > 0))
      .sort(cmp)
      .slice(0, pageSize(this.state))
      .map((r) => ({ ...r, status: "pending" as const, leaseId: null, leaseExpiresAt: null }));
  }
  admit(ids: (string | [string, number])[], want = 1) {
    return this.run({
      type: "admit", want,
      deliveries: ids.map((x) => {
        const [id, at] = typeof x === "string" ? [x, this.now] : x;
        return { id, eventId: `e_${id}`, publishedAt: at, index: 0, createdAt: this.now };
      }),
    });
  }
  report(leaseId: string, outcome: Partial<Outcome>, want = 1) {
    return this.run({ type: "report", reports: [{ leaseId, outcome: out(outcome) }], want });
  }
  alarm() {
    return this.run({ type: "alarm" });
  }
}

export const out = (o: Partial<Outcome>): Outcome => ({
  ok: false, statusCode: 500, errorKind: "http_status", error: null, durationMs: 5, startedAt: T0,
  retryAfterMs: null, responseHeaders: {}, responseBody: null, ...o,
});
export const OK = { ok: true, statusCode: 200, errorKind: null };
export const grants = (e: Effect[]) => e.filter((x) => x.type === "grant") as Extract<Effect, { type: "grant" }>[];
export const releases = (e: Effect[]) => e.flatMap((x) => (x.type === "release" ? x.leaseIds : []));
export const finished = (e: Effect[]) => e.filter((x) => x.type === "finish") as Extract<Effect, { type: "finish" }>[];
export const grantedIds = (e: Effect[]) => grants(e).map((g) => g.deliveryId);

