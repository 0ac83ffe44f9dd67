/** The machine's side of the hook transitions (issue 14): tombstones, skip while inactive, versions, its own disable. */
import { describe, expect, it } from "vitest";
import { config, finished, grants, releases, Sim } from "./machine-sim";

describe("decide(): a tombstoned hook (deleted)", () => {
  it("ends every live delivery cancelled, in flight or waiting, and sends nothing again", () => {
    const s = new Sim({ version: 1 });
    s.admit(["a", "b", "c"]);
    const e = s.run({ type: "configure", config: config({ version: 2, active: false, deleted: true }) });
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "cancelled"], ["b", "cancelled"], ["c", "cancelled"]]);
    expect(s.state.live).toBe(0);
    expect(s.queue).toEqual([]);
  });

  it("ends what a stale fan-out batch admits cancelled, and no later config revives it", () => {
    const s = new Sim({ version: 1 });
    s.run({ type: "configure", config: config({ version: 2, active: false, deleted: true }) });
    const stale = s.run({ type: "admit", config: config({ version: 1 }), deliveries: [{ id: "x", eventId: "ex", publishedAt: s.now, index: 0, createdAt: s.now }], want: 1 });
    expect(grants(stale)).toEqual([]);
    expect(finished(stale).map((f) => [f.delivery.id, f.status])).toEqual([["x", "cancelled"]]);
    s.run({ type: "configure", config: config({ version: 3, active: true }) });
    expect(s.state.config?.deleted).toBe(true);
    expect(grants(s.admit(["y"]))).toEqual([]);
  });
});

describe("decide(): inactive hooks", () => {
  it("with while_inactive skip, records what is admitted as skipped and never hands it out", () => {
    const s = new Sim({ active: false, whileInactive: "skip" });
    const e = s.admit(["a", "b"]);
    expect(finished(e).map((f) => [f.delivery.id, f.status])).toEqual([["a", "skipped"], ["b", "skipped"]]);
    expect(s.state.counters.skipped).toBe(2);
    const on = s.run({ type: "configure", config: config({ active: true }) });
    expect(grants(on)).toEqual([]);
    expect(releases(on)).toEqual([]);
  });

  it("a config that is not newer than the one held never re-enables a hook the machine disabled itself (410)", () => {
    const s = new Sim({ version: 5 });
    s.admit(["a"]);
    s.report("L1", { ok: false, statusCode: 410, errorKind: "http_status" });
    expect(s.state.config?.active).toBe(false);
    expect(s.state.disabledReason).toBe("gone");
    expect(s.state.disabledAt).toBe(s.now);
    const stale = s.run({ type: "admit", config: config({ version: 5 }), deliveries: [], want: 1 });
    expect(grants(stale)).toEqual([]);
    expect(s.state.config?.active).toBe(false);
    const activated = s.run({ type: "configure", config: config({ version: 6, active: true }) });
    expect(releases(activated)).toHaveLength(1);
    expect(s.state.disabledReason).toBeNull();
  });
});
