/**
 * The machine over a bounded window: only the head of the backlog is in memory, the rest is paged
 * in by queue order as the window drains (the Sim plays the shell's part). Small limits put page
 * boundaries everywhere; every scenario must behave exactly as with the whole backlog in memory.
 */
import { describe, expect, it } from "vitest";
import { nextWakeAt, stored, type Effect } from "../../src/endpoint/machine";
import type { HookConfig } from "../../src/endpoint/types";
import { seeded } from "../seeded";
import { finished, grantedIds, OK, out, releases, Sim, T0 } from "./machine-sim";

const SMALL = { fill: 4, max: 12 };
const WHOLE = { fill: 100_000, max: 100_000 };


/** Leases handed out by these effects (granted or released), in order. */
const leased = (e: Effect[]) => e.flatMap((x) => (x.type === "grant" ? [x.leaseId] : x.type === "release" ? x.leaseIds : []));

/**
 * A consumer against the Sim: takes every lease (grants and released ones), "sends" them — a strict
 * sequence one at a time, stopping at the first failure — and reports. Records the order of sends.
 */
class Consumer {
  sent: string[] = [];
  held: string[] = [];
  constructor(readonly sim: Sim, readonly fails: (id: string) => boolean) {}
  take(e: Effect[]) {
    this.held.push(...leased(e));
  }
  /** Sends and reports everything held; returns whether anything was held. */
  step(): boolean {
    if (!this.held.length) return false;
    const held = this.held;
    this.held = [];
    const strict = this.sim.state.config?.ordering === "strict";
    let stopped = false;
    const reports = held.map((leaseId) => {
      const d = this.sim.state.inFlight.find((x) => x.leaseId === leaseId);
      if (!d || stopped) return { leaseId, outcome: null };
      this.sent.push(d.id);
      const ok = !this.fails(d.id);
      if (!ok && strict) stopped = true;
      return { leaseId, outcome: out(ok ? OK : { statusCode: 500 }) };
    });
    this.take(this.sim.run({ type: "report", reports, want: 10 }));
    return true;
  }
}

interface Scenario {
  cfg: Partial<HookConfig>;
  events: number;
  seed: number;
  /** Probability that an attempt fails. */
  failRate: number;
}

/** Runs a scenario to the end and returns what a receiver saw, plus the most the machine held. */
function play(sc: Scenario, limits: { fill: number; max: number }) {
  const sim = new Sim({ retrySchedule: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], ...sc.cfg }, limits);
  const rand = seeded(sc.seed);
  const attempts = new Map<string, number>();
  // Fails are decided per (delivery, attempt) so both runs see the same outcomes.
  const failPlan = seeded(sc.seed + 1);
  const planned = new Map<string, boolean[]>();
  const fails = (id: string) => {
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    let p = planned.get(id);
    if (!p) planned.set(id, (p = []));
    while (p.length < n) p.push(p.length < 5 && failPlan() < sc.failRate);
    return p[n - 1]!;
  };
  const c = new Consumer(sim, fails);
  let peak = 0;
  let admitted = 0;
  for (let steps = 0; admitted < sc.events || sim.state.live > 0; steps++) {
    if (steps > 50_000) throw new Error(`stuck: ${sim.state.live} live, ${sim.state.window.length} in window, ${sim.state.inFlight.length} in flight`);
    const r = rand();
    if (admitted < sc.events && r < 0.5) {
      // a batch of 1–5 events; one in ten published a little earlier than the previous ones (late)
      const n = Math.min(sc.events - admitted, 1 + Math.floor(rand() * 5));
      const ids: [string, number][] = [];
      for (let i = 0; i < n; i++, admitted++) {
        const late = rand() < 0.1 ? Math.floor(rand() * 50) : 0;
        ids.push([`d${String(admitted).padStart(5, "0")}`, T0 + admitted * 10 - late]);
      }
      c.take(sim.admit(ids, rand() < 0.5 ? 10 : 0));
    } else if (r < 0.8) {
      c.step();
    } else {
      sim.now += 1_000 + Math.floor(rand() * 2_000);
      c.take(sim.alarm());
    }
    peak = Math.max(peak, sim.state.inFlight.length + sim.state.window.length);
    expect(sim.state.window.length).toBeLessThanOrEqual(limits.max);
    expect(stored(sim.state)).toBeGreaterThanOrEqual(0);
  }
  return { sent: c.sent, peak, succeeded: finished(sim.effects).filter((f) => f.status === "succeeded").map((f) => f.delivery.id), sim };
}

describe("decide() over a bounded window", () => {
  for (const [name, cfg] of [
    ["strict", { ordering: "strict" }],
    ["strict with a settle window", { ordering: "strict", orderWindowMs: 1000 }],
    ["ordering none, max_in_flight 10 (window of 4–8 is smaller than max_in_flight × 2)", { ordering: "none", maxInFlight: 10 }],
    ["ordering none with a rate limit", { ordering: "none", maxInFlight: 3, rateLimitPerS: 2 }],
  ] as [string, Partial<HookConfig>][]) {
    it(`${name}: sends exactly what an unbounded machine sends, in the same order, holding at most the window`, () => {
      for (const seed of [1, 2, 3]) {
        const sc: Scenario = { cfg, events: 300, seed, failRate: 0.15 };
        const small = play(sc, SMALL);
        const whole = play(sc, WHOLE);
        expect(small.sent).toEqual(whole.sent);
        expect(new Set(small.succeeded).size).toBe(300);
        expect(small.succeeded.length).toBe(300);
        expect(small.peak).toBeLessThanOrEqual(SMALL.max + 10);
        expect(whole.peak).toBeGreaterThan(SMALL.max + 10); // the scenario does build a backlog
        expect(small.sim.pages).toBeGreaterThan(10);
      }
    });
  }

  it("a late arrival that sorts before the window's tail joins the window and leaves the tail to storage", () => {
    const s = new Sim({ ordering: "strict", active: false }, SMALL);
    s.admit(Array.from({ length: 20 }, (_, i) => [`d${i + 10}`, T0 + (i + 10) * 10] as [string, number]));
    expect(s.state.window.map((d) => d.id)).toEqual(["d10", "d11", "d12", "d13", "d14", "d15", "d16", "d17", "d18", "d19", "d20", "d21"]);
    s.admit([["late", T0 + 125]]); // between d12 and d13
    expect(s.state.window.map((d) => d.id)).toEqual(["d10", "d11", "d12", "late", "d13", "d14", "d15", "d16", "d17", "d18", "d19", "d20"]);
    expect(stored(s.state)).toBe(9);
    expect(s.state.live).toBe(21);
  });

  it("a late arrival beyond the window stays in storage and is paged in at its place", () => {
    const s = new Sim({ ordering: "strict", active: false }, SMALL);
    s.admit(Array.from({ length: 20 }, (_, i) => [`d${i + 10}`, T0 + (i + 10) * 10] as [string, number]));
    s.admit([["late", T0 + 255]]); // between d25 and d26: beyond the window (d10–d21)
    expect(s.state.window.map((d) => d.id)).not.toContain("late");
    s.now = T0 + 1_000; // every event is past its publish time
    const e = s.run({ type: "configure", config: { ...s.state.config!, active: true } });
    const order: string[] = [];
    let leases = releases(e);
    while (leases.length) {
      order.push(...leases.map((l) => s.state.inFlight.find((d) => d.leaseId === l)!.id));
      leases = releases(s.run({ type: "report", reports: leases.map((leaseId) => ({ leaseId, outcome: out(OK) })), want: 0 }));
    }
    expect(order.indexOf("late")).toBe(order.indexOf("d25") + 1);
    expect(order).toHaveLength(21);
  });

  it("retries at the head hold the later pages back, in memory only the window", () => {
    const s = new Sim({ ordering: "strict", retrySchedule: [0, 5, 5, 5] }, SMALL);
    s.now = T0 + 100;
    s.admit(Array.from({ length: 50 }, (_, i) => [`d${i}`, T0 + i] as [string, number]), 1);
    expect(grantedIds(s.effects)).toEqual(["d0"]);
    for (let i = 0; i < 3; i++) {
      // the head fails; the rest of its sequence (if any) was not sent
      const [head, ...rest] = s.state.inFlight.map((d) => d.leaseId!);
      s.run({ type: "report", want: 0, reports: [{ leaseId: head!, outcome: out({ statusCode: 503 }) }, ...rest.map((leaseId) => ({ leaseId, outcome: null }))] });
      expect(s.state.inFlight).toEqual([]);
      expect(nextWakeAt(s.state, s.now)).toBe(s.now + 5_000);
      expect(s.state.window[0]!.id).toBe("d0");
      expect(s.state.window.length).toBeLessThanOrEqual(SMALL.max);
      s.now += 5_000;
      expect(releases(s.alarm())[0]).toBeDefined();
    }
    const [head, ...rest] = s.state.inFlight.map((d) => d.leaseId!);
    const e = s.run({ type: "report", want: 10, reports: [{ leaseId: head!, outcome: out(OK) }, ...rest.map((leaseId) => ({ leaseId, outcome: null }))] });
    expect(grantedIds(e)).toEqual(["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10"]);
  });

  it("leases expiring mid-page go back to the head of the window and are re-released in order", () => {
    const s = new Sim({ ordering: "strict" }, SMALL);
    s.now = T0 + 100;
    s.admit(Array.from({ length: 30 }, (_, i) => [`d${i}`, T0 + i] as [string, number]), 10);
    const first = grantedIds(s.effects);
    expect(first).toHaveLength(10); // the sequence spans two pages of the window
    s.now += 10 * 15_000 + 15_000; // the consumer died: the sequence lease expires
    const e = s.alarm();
    const again = releases(e).map((l) => s.state.inFlight.find((d) => d.leaseId === l)!.id);
    expect(again).toEqual(first);
    expect(s.state.window.length).toBeLessThanOrEqual(SMALL.max);
  });

  it("cancel_all ends the window and leaves the stored rest to the shell, counting all of it", () => {
    const s = new Sim({ ordering: "strict", active: false }, SMALL);
    s.admit(Array.from({ length: 30 }, (_, i) => `d${i}`));
    const e = s.run({ type: "cancel_all" });
    expect(finished(e)).toHaveLength(12);
    expect(e).toContainEqual({ type: "cancel_stored", at: T0 });
    expect(s.state.counters.cancelled).toBe(30);
    expect(s.state.live).toBe(0);
  });

  it("switching ordering re-sorts: storage is told to reorder and the new head is paged in", () => {
    const s = new Sim({ ordering: "none", active: false }, SMALL);
    s.admit(Array.from({ length: 20 }, (_, i) => [`d${i}`, T0 + (20 - i)] as [string, number])); // published in reverse
    const e = s.run({ type: "configure", config: { ...s.state.config!, ordering: "strict" } });
    expect(e).toContainEqual({ type: "reorder", ordering: "strict" });
    expect(s.state.window[0]!.id).toBe("d19"); // the earliest published
  });
});
