import { describe, expect, it } from "vitest";
import { nextWakeAt, type Effect } from "../../src/endpoint/machine";
import { config, finished, grantedIds, grants, OK, out, releases, Sim, T0 } from "./machine-sim";

describe("decide(): admit", () => {
  it("grants a due delivery to the caller", () => {
    const s = new Sim();
    const e = s.admit(["a"]);
    expect(grantedIds(e)).toEqual(["a"]);
    expect(s.queue[0]).toMatchObject({ id: "a", status: "delivering", leaseId: "L1", leaseExpiresAt: T0 + 30_000 });
  });

  it("queues behind a delivery in flight (strict)", () => {
    const s = new Sim();
    s.admit(["a"]);
    const e = s.admit(["b", "c"]);
    expect(grants(e)).toEqual([]);
    expect(releases(e)).toEqual([]);
    expect(s.queue.map((d) => d.id)).toEqual(["a", "b", "c"]);
  });

  it("releases due work the caller does not take", () => {
    const s = new Sim();
    const e = s.admit(["a"], 0);
    expect(grants(e)).toEqual([]);
    expect(releases(e)).toEqual(["L1"]);
    expect(s.queue[0]!.leaseExpiresAt).toBe(T0 + 5 * 60_000);
  });

  it("grants up to max_in_flight at once when ordering is none", () => {
    const s = new Sim({ ordering: "none", maxInFlight: 3 });
    const e = s.admit(["a", "b", "c", "d", "e"], 5);
    expect(grantedIds(e)).toEqual(["a", "b", "c"]);
    const next = s.report("L2", OK);
    expect(grantedIds(next)).toEqual(["d"]);
  });

  it("holds everything while the hook is inactive and resumes on configure", () => {
    const s = new Sim({ active: false });
    expect(grants(s.admit(["a", "b"]))).toEqual([]);
    expect(nextWakeAt(s.state, s.now)).toBeNull();
    const e = s.run({ type: "configure", config: config() });
    expect(releases(e)).toEqual(["L1", "L2"]); // one strict sequence, in order, for one holder
  });
});

describe("decide(): publish order", () => {
  it("holds a strict head until the settle window passes, then releases in publish order", () => {
    const s = new Sim({ orderWindowMs: 1000 });
    // admitted shuffled, all published within the window
    const held = s.admit([["c", T0 + 30], ["a", T0 + 10], ["b", T0 + 20]]);
    expect(grants(held)).toEqual([]);
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 1010);
    s.now = T0 + 1030;
    // released as one sequence, in publish order, to be sent one at a time
    expect(releases(s.alarm())).toEqual(["L1", "L2", "L3"]);
    expect(s.queue.map((d) => [d.id, d.leaseId])).toEqual([["a", "L1"], ["b", "L2"], ["c", "L3"]]);
    const e = s.run({ type: "report", reports: ["L1", "L2", "L3"].map((leaseId) => ({ leaseId, outcome: out(OK) })), want: 1 });
    expect(finished(e).map((f) => f.delivery.id)).toEqual(["a", "b", "c"]);
  });

  it("flags an event that arrives after a later one already left, delivers it next and counts it", () => {
    const s = new Sim();
    s.now = T0 + 100;
    s.admit([["b", T0 + 20]]);
    s.admit([["c", T0 + 30]]);
    s.admit([["a", T0 + 10]]); // too late: b already left
    expect(s.queue.map((d) => [d.id, d.outOfOrder])).toEqual([["b", false], ["a", true], ["c", false]]);
    expect(s.state.counters.outOfOrder).toBe(1);
    expect(grantedIds(s.report("L1", OK))).toEqual(["a"]);
  });
});

describe("decide(): outcomes", () => {
  it("success finishes the delivery and hands out the next", () => {
    const s = new Sim();
    s.admit(["a", "b"]);
    const e = s.report("L1", OK);
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "succeeded"]]);
    expect(grantedIds(e)).toEqual(["b"]);
    expect(e).toContainEqual({ type: "status", status: "succeeded", error: null, at: T0, failingSince: null });
    expect(s.state.counters.succeeded).toBe(1);
  });

  it("failure schedules the next attempt and blocks the strict queue behind it", () => {
    const s = new Sim();
    s.admit(["a", "b"]);
    const e = s.report("L1", { statusCode: 500 });
    expect(grants(e)).toEqual([]);
    expect(s.queue[0]).toMatchObject({ id: "a", status: "pending", attempts: 1, nextAt: T0 + 5_000, lastError: "HTTP 500" });
    expect(e).toContainEqual(expect.objectContaining({ type: "attempt", deliveryId: "a", attempt: 1 }));
    expect(e).toContainEqual(expect.objectContaining({ type: "status", status: "failed", error: "HTTP 500" }));
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 5_000);
    s.now = T0 + 5_000;
    expect(releases(s.alarm())).toEqual(["L2", "L3"]); // a (its retry) first, then b
    expect(s.queue.map((d) => [d.id, d.leaseId])).toEqual([["a", "L2"], ["b", "L3"]]);
  });

  it("a later failure does not repeat the status flip (D1 written only on change)", () => {
    const s = new Sim({ retrySchedule: [0, 0, 0] });
    s.admit(["a"]);
    s.report("L1", { statusCode: 500 });
    s.alarm();
    const e = s.report("L2", { statusCode: 500 });
    expect(e.filter((x) => x.type === "status")).toEqual([]);
  });

  it("Retry-After pushes the next attempt out", () => {
    const s = new Sim({ retrySchedule: [0, 1] });
    s.admit(["a"]);
    s.report("L1", { statusCode: 503, retryAfterMs: 7_000 });
    expect(s.queue[0]!.nextAt).toBe(T0 + 7_000);
    s.now = T0 + 6_999;
    expect(releases(s.alarm())).toEqual([]);
    s.now = T0 + 7_000;
    expect(releases(s.alarm())).toEqual(["L2"]);
  });

  it("410 Gone disables the hook and holds the delivery", () => {
    const s = new Sim();
    s.admit(["a", "b"]);
    const e = s.report("L1", { statusCode: 410 });
    expect(e).toContainEqual({ type: "disable", reason: "gone", at: T0 });
    expect(grants(e)).toEqual([]);
    expect(s.queue.map((d) => d.status)).toEqual(["pending", "pending"]);
    expect(grants(s.admit(["c"]))).toEqual([]);
    expect(nextWakeAt(s.state, s.now)).toBeNull();
  });

  it("an exhausted schedule marks the delivery failed and the next one proceeds", () => {
    const s = new Sim({ retrySchedule: [0, 1] });
    s.admit(["a", "b"]);
    s.report("L1", { statusCode: 500 });
    s.now += 1_200;
    expect(releases(s.alarm())).toEqual(["L2", "L3"]);
    // the consumer stops at a's failure and does not send b: b goes back to pending, then to the caller
    const e = s.run({ type: "report", reports: [{ leaseId: "L2", outcome: out({ statusCode: 500 }) }, { leaseId: "L3", outcome: null }], want: 1 });
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "failed"]]);
    expect(grantedIds(e)).toEqual(["b"]);
    expect(s.queue[0]).toMatchObject({ id: "b", attempts: 0 });
    expect(s.state.counters.failed).toBe(1);
  });

  it("disables a hook that failed continuously for 5 days with at least 10 attempts", () => {
    const s = new Sim({ retrySchedule: Array(20).fill(3600 * 14) });
    s.admit(["a"]);
    let lease = "L1";
    let disabled: Effect | undefined;
    for (let i = 0; i < 12 && !disabled; i++) {
      const e = s.report(lease, { statusCode: 500 });
      disabled = e.find((x) => x.type === "disable");
      s.now = s.queue[0]!.nextAt;
      lease = releases(s.alarm())[0] ?? lease;
    }
    expect(disabled).toMatchObject({ type: "disable", reason: "failing" });
    expect(s.state.failStreak).toBeGreaterThanOrEqual(10);
    expect(s.now - s.state.failingSince!).toBeGreaterThanOrEqual(5 * 86_400_000);
  });

  it("ignores a report for a lease that is no longer held", () => {
    const s = new Sim();
    s.admit(["a"]);
    expect(s.report("L-unknown", OK)).toEqual([]);
    expect(s.queue[0]!.status).toBe("delivering");
  });
});

describe("decide(): strict sequences", () => {
  it("hands a strict hook's ready deliveries out as one ordered sequence with a lease covering all of them", () => {
    const s = new Sim();
    const e = s.admit(["a", "b", "c"], 10);
    expect(grantedIds(e)).toEqual(["a", "b", "c"]);
    expect(s.queue.every((d) => d.leaseExpiresAt === T0 + 3 * 15_000 + 15_000)).toBe(true);
    expect(grants(s.admit(["d"], 10))).toEqual([]); // nothing more while the sequence is out
  });

  it("a sequence stops at its first failure: later ones were not sent and keep their place", () => {
    const s = new Sim({ retrySchedule: [0, 0] });
    s.admit(["a", "b", "c"], 10);
    const e = s.run({
      type: "report", want: 10,
      reports: [{ leaseId: "L1", outcome: out(OK) }, { leaseId: "L2", outcome: out({ statusCode: 500 }) }, { leaseId: "L3", outcome: null }],
    });
    expect(finished(e).map((f) => f.delivery.id)).toEqual(["a"]);
    expect(grantedIds(e)).toEqual(["b", "c"]); // b's retry is due at once, then c, in order
    expect(s.queue.map((d) => [d.id, d.attempts])).toEqual([["b", 1], ["c", 0]]);
  });
});

describe("decide(): config versions", () => {
  it("a fan-out batch carrying an older or equal config cannot undo a deactivation or a self-disable", () => {
    const s = new Sim({ version: 1 });
    s.run({ type: "configure", config: config({ version: 2, active: false }) }); // deactivated through the API
    s.run({ type: "admit", config: config({ version: 1 }), want: 1, deliveries: [{ id: "a", eventId: "e_a", publishedAt: T0, index: 0, createdAt: T0 }] });
    expect(s.state.config!.active).toBe(false);
    s.run({ type: "configure", config: config({ version: 3 }) });
    expect(s.state.config!.active).toBe(true);
    s.report(grants(s.effects).at(-1)?.leaseId ?? "L1", { statusCode: 410 }); // the object disables the hook itself
    s.run({ type: "admit", config: config({ version: 3 }), want: 1, deliveries: [] });
    expect(s.state.config!.active).toBe(false);
    s.run({ type: "admit", config: config({ version: 4 }), want: 1, deliveries: [] }); // re-activated since
    expect(s.state.config!.active).toBe(true);
  });
});

describe("decide(): batched reports", () => {
  it("applies several outcomes in one decision and hands out that many next grants", () => {
    const s = new Sim({ ordering: "none", maxInFlight: 2 });
    s.admit(["a", "b", "c", "d", "e"], 5);
    const e = s.run({ type: "report", reports: [{ leaseId: "L1", outcome: out(OK) }, { leaseId: "L2", outcome: out({ statusCode: 500 }) }], want: 2 });
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "succeeded"]]);
    expect(grantedIds(e)).toEqual(["c", "d"]); // b waits for its retry (5 s); two slots free up for c and d
    expect(s.queue.find((d) => d.id === "b")).toMatchObject({ status: "pending", attempts: 1, nextAt: T0 + 5_000 });
  });
});

describe("decide(): leases and claims", () => {
  it("re-releases a lease that expired without a report (consumer died)", () => {
    const s = new Sim();
    s.admit(["a"]);
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 30_000);
    s.now = T0 + 30_000;
    const e = s.alarm();
    expect(releases(e)).toEqual(["L2"]);
    expect(s.report("L1", OK)).toEqual([]); // the dead consumer's late report is ignored
    expect(finished(s.report("L2", OK))[0]!.status).toBe("succeeded");
  });

  it("claim turns a released lease into a grant with a fresh expiry; an expired one yields nothing", () => {
    const s = new Sim();
    s.admit(["a"], 0);
    s.now = T0 + 1000;
    const e = s.run({ type: "claim", leaseIds: ["L1"] });
    expect(grants(e)).toEqual([{ type: "grant", deliveryId: "a", leaseId: "L1", attempt: 1 }]);
    expect(s.queue[0]!.leaseExpiresAt).toBe(T0 + 1000 + 30_000);
    expect(grants(s.run({ type: "claim", leaseIds: ["L9"] }))).toEqual([]);
  });

  it("cancel_all ends every live delivery as cancelled", () => {
    const s = new Sim();
    s.admit(["a", "b"]);
    const e = s.run({ type: "cancel_all" });
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "cancelled"], ["b", "cancelled"]]);
    expect(s.queue).toEqual([]);
    expect(s.state.counters.cancelled).toBe(2);
  });
});

describe("nextWakeAt(): the single alarm", () => {
  it("is the earliest of lease expiry, retry and settle deadline, whatever order they were set in", () => {
    const s = new Sim({ ordering: "none", maxInFlight: 5, retrySchedule: [0, 60] });
    s.admit(["a"]); // lease L1 expires T0+30s
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 30_000);
    s.now = T0 + 1000;
    s.admit(["b"]); // lease L2 expires T0+31s
    s.report("L2", { statusCode: 500 }); // retry at T0+1s+60s
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 30_000);
    s.report("L1", { statusCode: 500 }); // retry at T0+61s; lease gone
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 61_000);
    s.run({ type: "configure", config: config({ ordering: "strict", orderWindowMs: 500 }) });
    s.admit([["c", T0 + 900]]); // strict head is "c"? no: sorted by publish time, "a"/"b" are at T0/T0+1000
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 61_000);
  });

  it("a strict head's first attempt waits for the settle window; retries do not", () => {
    const s = new Sim({ orderWindowMs: 1000, retrySchedule: [0, 0, 0] });
    s.admit(["a"]);
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 1000);
    s.now = T0 + 1000;
    s.alarm();
    expect(grantedIds(s.report("L1", { statusCode: 500 }))).toEqual(["a"]);
  });

  it("respects a rate limit with a token bucket", () => {
    const s = new Sim({ ordering: "none", rateLimitPerS: 2 });
    const e = s.admit(["a", "b", "c", "d"], 4);
    expect(grantedIds(e)).toEqual(["a", "b"]);
    expect(nextWakeAt(s.state, s.now)).toBe(T0 + 500);
    s.now = T0 + 500;
    expect(releases(s.alarm())).toHaveLength(1);
  });
});
