/**
 * EndpointDO's decisions as a pure state machine: decide(state, input, clock) → { state, effects }.
 * No I/O, no clock of its own. The DO shell loads state, calls decide, persists effects, pages in
 * more of the backlog when the window runs low, and sets the alarm.
 *
 * The machine sees a bounded window of the hook's backlog, never all of it
 * (docs/architecture.md#the-endpointdos-bounded-window):
 *  - `inFlight`: leased deliveries — at most one strict sequence, or `maxInFlight` for unordered hooks;
 *  - `window`: the pending deliveries that come first in the hook's order — publish order
 *    (publishedAt, index, id) for strict hooks, due time then publish order for unordered ones —
 *    at most `limits.max` of them;
 *  - `live`: how many deliveries are pending or delivering in all. The `live − inFlight − window`
 *    others sit in storage and every one of them sorts after the window's last item.
 * So memory and the work of one decision do not depend on the backlog.
 *
 * Invariants:
 *  - strict: at most one sequence leased; the head blocks until it succeeds or exhausts its schedule.
 *  - none: at most maxInFlight leased.
 *  - due work is never left unattended: what the caller does not take is released to the queue.
 *  - a tombstoned config (hook deleted) is final: nothing live remains, whatever is admitted ends
 *    `cancelled`, and no later config brings the hook back.
 */
import {
  AUTO_DISABLE_AFTER_MS,
  AUTO_DISABLE_MIN_ATTEMPTS,
  DEFAULT_RETRY_SCHEDULE_S,
  LEASE_MARGIN_MS,
  RELEASE_LEASE_MS,
  STRICT_SEQUENCE,
  WINDOW_FILL,
  WINDOW_MAX,
} from "../core/policy";
import { nextDelayMs } from "../core/retry-schedule";
import type { Counters, Delivery, FinalStatus, HookConfig, OrderKey, Outcome } from "./types";

export interface WindowLimits {
  /** Page in up to this many when the window runs low (and at a cold start). */
  fill: number;
  /** Never hold more pending deliveries in memory than this. */
  max: number;
}

export interface MachineState {
  config: HookConfig | null;
  /** Leased deliveries, in the order they were handed out. */
  inFlight: Delivery[];
  /** The first pending deliveries in the hook's order (see sortKey), sorted. */
  window: Delivery[];
  /** Pending + delivering deliveries in all, stored or in memory. */
  live: number;
  limits: WindowLimits;
  /** Order key of the newest delivery that has been handed out; later arrivals below it are out of order. */
  lastSent: OrderKey | null;
  failingSince: number | null;
  failStreak: number;
  lastStatus: "none" | "succeeded" | "failed";
  /** Set when the machine disabled the hook itself (410, 5 days failing). */
  disabledReason: string | null;
  /** When it did (the transition's time in D1, and its operational event's key). */
  disabledAt?: number | null;
  counters: Counters;
  /** Token bucket for rate_limit_per_s. */
  bucket: { tokens: number; at: number } | null;
}

export const emptyState = (limits: WindowLimits = { fill: WINDOW_FILL, max: WINDOW_MAX }): MachineState => ({
  config: null,
  inFlight: [],
  window: [],
  live: 0,
  limits,
  lastSent: null,
  failingSince: null,
  failStreak: 0,
  lastStatus: "none",
  disabledReason: null,
  disabledAt: null,
  counters: { succeeded: 0, failed: 0, cancelled: 0, skipped: 0, outOfOrder: 0 },
  bucket: null,
});

export interface Clock {
  now: number;
  random: () => number;
  newLeaseId: () => string;
}

/** A delivery as admitted: the rest of its fields start at their defaults. */
export type NewDelivery = Pick<Delivery, "id" | "eventId" | "publishedAt" | "index" | "createdAt">;

export type Input =
  | { type: "configure"; config: HookConfig }
  | { type: "admit"; config?: HookConfig; deliveries: NewDelivery[]; want: number }
  /** Outcomes of one or more leases (a consumer reports a hook's attempts together). A null
   *  outcome: not attempted (a strict sequence stopped at an earlier failure) — back to pending. */
  | { type: "report"; reports: { leaseId: string; outcome: Outcome | null }[]; want: number }
  | { type: "claim"; leaseIds: string[] }
  | { type: "alarm" }
  /** Stored pending deliveries that sort right after the window (the shell read them by index). */
  | { type: "page"; deliveries: Delivery[]; want: number }
  | { type: "cancel_all" };

export type Effect =
  /** Persist this delivery's stored fields (new, or attempts/next time/error changed). */
  | { type: "save"; delivery: Delivery }
  /** The delivery ended. */
  | { type: "finish"; delivery: Delivery; status: FinalStatus; at: number }
  /** Every live delivery that is only in storage ends `cancelled` (created up to `at`). */
  | { type: "cancel_stored"; at: number }
  /** The hook's order changed (strict ↔ none): stored live deliveries get the new sort position. */
  | { type: "reorder"; ordering: HookConfig["ordering"] }
  | { type: "attempt"; deliveryId: string; attempt: number; outcome: Outcome }
  /** Hand these leases to the caller now. */
  | { type: "grant"; deliveryId: string; leaseId: string; attempt: number }
  /** Put these leases on hookline-deliveries for a consumer to claim. */
  | { type: "release"; leaseIds: string[] }
  /** Last delivery status flipped (D1 write). */
  | { type: "status"; status: "succeeded" | "failed"; error: string | null; at: number; failingSince: number | null }
  /** The machine disabled the hook (D1 write). */
  | { type: "disable"; reason: string; at: number };

export interface Decision {
  state: MachineState;
  effects: Effect[];
}

export const orderKey = (d: Pick<Delivery, "publishedAt" | "index" | "id">): OrderKey => [d.publishedAt, d.index, d.id];

export function compareKeys(a: OrderKey, b: OrderKey): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

/**
 * Where a pending delivery stands in its hook's queue: strict hooks go by publish order alone
 * (sortAt 0); unordered hooks by due time first. The store indexes live deliveries on the same key.
 */
export const sortAt = (ordering: HookConfig["ordering"] | undefined, d: Pick<Delivery, "nextAt">): number =>
  ordering === "none" ? d.nextAt : 0;

function compareIn(ordering: HookConfig["ordering"] | undefined, a: Delivery, b: Delivery): number {
  return sortAt(ordering, a) - sortAt(ordering, b) || compareKeys(orderKey(a), orderKey(b));
}

/** Live deliveries held in storage only (not in memory). */
export const stored = (s: MachineState): number => s.live - s.inFlight.length - s.window.length;

/** How many pending deliveries the next dispatch could hand out (a strict sequence, or the free leases). */
function need(s: MachineState): number {
  const cfg = s.config;
  if (!cfg?.active) return 0;
  const n = cfg.ordering === "strict" ? (s.inFlight.length ? 0 : STRICT_SEQUENCE) : Math.max(0, cfg.maxInFlight - s.inFlight.length);
  return Math.min(n, s.limits.max);
}

/**
 * Whether the shell should page in more of the backlog: the window is below half its fill, or
 * holds fewer than the next dispatch could take (which then waits for the page, so that what is
 * handed out never depends on where a page boundary fell).
 */
export function needsPage(s: MachineState): boolean {
  return stored(s) > 0 && s.window.length < Math.max(Math.ceil(s.limits.fill / 2), need(s));
}

/** How many rows the shell should page in now. */
export function pageSize(s: MachineState): number {
  return Math.max(1, Math.min(s.limits.max, Math.max(s.limits.fill, need(s))) - s.window.length);
}

/** Everything the machine holds in memory, in flight first (for tests, stats and the history view). */
export const inMemory = (s: MachineState): Delivery[] => [...s.inFlight, ...s.window];

export function decide(prev: MachineState, input: Input, clock: Clock): Decision {
  const state: MachineState = { ...prev, inFlight: prev.inFlight.slice(), window: prev.window.slice(), counters: { ...prev.counters } };
  const effects: Effect[] = [];
  let want = 0;
  switch (input.type) {
    case "configure":
      if (newer(input.config, state.config, true)) setConfig(state, input.config, effects);
      if (state.config?.deleted) return cancelEverything(state, clock.now, effects);
      break;
    case "admit":
      if (input.config && newer(input.config, state.config, false)) setConfig(state, input.config, effects);
      admit(state, input.deliveries, clock.now, effects);
      want = input.want;
      break;
    case "report":
      for (const r of input.reports) report(state, r.leaseId, r.outcome, clock, effects);
      want = input.want;
      break;
    case "claim":
      claim(state, input.leaseIds, clock.now, effects);
      return { state, effects };
    case "alarm":
      expireLeases(state, clock.now);
      break;
    case "page":
      // The next stored deliveries in queue order, right after the window's last: appended as they are.
      for (const d of input.deliveries) if (!holds(state, d.id) && state.window.length < state.limits.max) state.window.push(d);
      want = input.want;
      break;
    case "cancel_all":
      return cancelEverything(state, clock.now, effects);
  }
  dispatch(state, want, clock, effects);
  return { state, effects };
}

/** Every live delivery ends `cancelled` (the hook was deleted): in memory now, in storage in chunks. */
function cancelEverything(state: MachineState, now: number, effects: Effect[]): Decision {
  for (const d of inMemory(state)) effects.push({ type: "finish", delivery: d, status: "cancelled", at: now });
  if (stored(state) > 0) effects.push({ type: "cancel_stored", at: now });
  state.counters.cancelled += state.live;
  state.inFlight = [];
  state.window = [];
  state.live = 0;
  return { state, effects };
}

/**
 * Whether `next` replaces the held config. An explicit configure (the API, the cron) wins unless
 * it is older; the config a fan-out batch carries must be strictly newer, so a batch that read D1
 * before a deactivation, or before this object disabled the hook itself, cannot undo it. A
 * tombstone is never replaced by a live config.
 */
function newer(next: HookConfig, held: HookConfig | null, explicit: boolean): boolean {
  if (held?.deleted && !next.deleted) return false;
  if (!held || next.version === undefined || held.version === undefined) return true;
  return explicit ? next.version >= held.version : next.version > held.version;
}

function setConfig(state: MachineState, config: HookConfig, effects: Effect[]) {
  const before = state.config?.ordering ?? "strict";
  state.config = config;
  if (config.active) {
    state.disabledReason = null;
    state.disabledAt = null;
  }
  if (config.ordering === before) return;
  // The window was the first items in the old order. Everything in memory: re-sort it. Otherwise
  // drop it; the shell re-sorts storage and pages the new head in.
  if (stored(state) === 0) state.window.sort((a, b) => compareIn(config.ordering, a, b));
  else state.window = [];
  if (state.live > state.inFlight.length) effects.push({ type: "reorder", ordering: config.ordering });
}

function holds(state: MachineState, id: string): boolean {
  return state.inFlight.some((d) => d.id === id) || state.window.some((d) => d.id === id);
}

/**
 * A pending delivery (counted in `live`, in neither list) joins the window if it sorts before the
 * window's last item, or if no other delivery is stored beyond the window; otherwise it stays in
 * storage only. The window never outgrows `limits.max`: its last item is then left to storage,
 * where it sorts after the new last. Returns whether `d` is in memory.
 */
function toWindow(state: MachineState, d: Delivery): boolean {
  const w = state.window;
  const ordering = state.config?.ordering;
  const last = w[w.length - 1];
  const othersStored = stored(state) - 1;
  if (othersStored > 0 && (!last || compareIn(ordering, d, last) > 0)) return false;
  let lo = 0;
  let hi = w.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareIn(ordering, w[mid]!, d) < 0) lo = mid + 1;
    else hi = mid;
  }
  w.splice(lo, 0, d);
  if (w.length > state.limits.max) w.pop();
  return w.includes(d);
}

/** A delivery that left the in-flight list goes back to the pending queue (memory or storage). */
function backToPending(state: MachineState, d: Delivery) {
  const i = state.inFlight.findIndex((x) => x.id === d.id);
  if (i >= 0) state.inFlight.splice(i, 1);
  toWindow(state, d);
}

function admit(state: MachineState, items: NewDelivery[], now: number, effects: Effect[]) {
  for (const item of items) {
    const d: Delivery = {
      ...item,
      status: "pending",
      attempts: 0,
      nextAt: now,
      leaseId: null,
      leaseExpiresAt: null,
      outOfOrder: false,
      lastError: null,
    };
    // A deleted hook sends nothing again; an inactive one that skips records the event, unsent.
    const ends: FinalStatus | null = state.config?.deleted ? "cancelled" : state.config && !state.config.active && state.config.whileInactive === "skip" ? "skipped" : null;
    if (ends) {
      state.live++;
      finish(state, d, ends, now, effects);
      continue;
    }
    if (state.config?.ordering !== "none" && state.lastSent && compareKeys(orderKey(d), state.lastSent) < 0) {
      d.outOfOrder = true;
      state.counters.outOfOrder++;
    }
    state.live++;
    effects.push({ type: "save", delivery: d });
    toWindow(state, d);
  }
}

function report(state: MachineState, leaseId: string, outcome: Outcome | null, clock: Clock, effects: Effect[]) {
  const i = state.inFlight.findIndex((d) => d.leaseId === leaseId);
  if (i < 0) return; // stale lease: the delivery was re-released; its new holder reports instead
  const now = clock.now;
  const cur = state.inFlight[i]!;
  state.inFlight.splice(i, 1);
  const base: Delivery = { ...cur, status: "pending", leaseId: null, leaseExpiresAt: null };
  if (outcome === null) {
    toWindow(state, base); // not attempted: nothing stored changed
    return;
  }
  const attempt = cur.attempts + 1;
  effects.push({ type: "attempt", deliveryId: cur.id, attempt, outcome });
  base.attempts = attempt;

  if (outcome.ok) {
    finish(state, { ...base, lastError: null }, "succeeded", now, effects);
    state.failStreak = 0;
    state.failingSince = null;
    if (state.lastStatus !== "succeeded") {
      state.lastStatus = "succeeded";
      effects.push({ type: "status", status: "succeeded", error: null, at: now, failingSince: null });
    }
    return;
  }

  const error = describe(outcome);
  state.failStreak++;
  state.failingSince ??= now;
  if (state.lastStatus !== "failed") {
    state.lastStatus = "failed";
    effects.push({ type: "status", status: "failed", error, at: now, failingSince: state.failingSince });
  }

  if (outcome.statusCode === 410) {
    // Gone: the receiver asked us to stop. Hold the delivery; re-enabling the hook resumes it.
    retryAt(state, { ...base, nextAt: now, lastError: error }, effects);
    disable(state, "gone", now, effects);
    return;
  }

  const schedule = state.config?.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_S;
  const delay = nextDelayMs(schedule, attempt, clock.random());
  if (delay === null) finish(state, { ...base, lastError: error }, "failed", now, effects);
  else retryAt(state, { ...base, nextAt: now + Math.max(delay, outcome.retryAfterMs ?? 0), lastError: error }, effects);

  if (now - state.failingSince >= AUTO_DISABLE_AFTER_MS && state.failStreak >= AUTO_DISABLE_MIN_ATTEMPTS) {
    disable(state, "failing", now, effects);
  }
}

function retryAt(state: MachineState, d: Delivery, effects: Effect[]) {
  effects.push({ type: "save", delivery: d });
  toWindow(state, d);
}

function finish(state: MachineState, d: Delivery, status: FinalStatus, now: number, effects: Effect[]) {
  state.live--;
  state.counters[status] = (state.counters[status] ?? 0) + 1; // summaries written before `skipped` existed lack it
  effects.push({ type: "finish", delivery: d, status, at: now });
}

function disable(state: MachineState, reason: string, now: number, effects: Effect[]) {
  if (state.config) state.config = { ...state.config, active: false };
  state.disabledReason = reason;
  state.disabledAt = now;
  effects.push({ type: "disable", reason, at: now });
}

function describe(o: Outcome): string {
  if (o.error) return o.error;
  if (o.statusCode !== null) return `HTTP ${o.statusCode}`;
  return o.errorKind ?? "failed";
}

function claim(state: MachineState, leaseIds: string[], now: number, effects: Effect[]) {
  const wanted = new Set(leaseIds);
  state.inFlight = state.inFlight.map((d) => {
    if (!d.leaseId || !wanted.has(d.leaseId) || (d.leaseExpiresAt ?? 0) <= now) return d;
    effects.push({ type: "grant", deliveryId: d.id, leaseId: d.leaseId, attempt: d.attempts + 1 });
    return { ...d, leaseExpiresAt: now + leaseMs(state, wanted.size) };
  });
}

/** Leases whose holder never reported go back to pending, due now: at-least-once, never lost. */
function expireLeases(state: MachineState, now: number) {
  for (const d of state.inFlight.slice()) {
    if ((d.leaseExpiresAt ?? Infinity) > now) continue;
    backToPending(state, { ...d, status: "pending", leaseId: null, leaseExpiresAt: null, nextAt: Math.min(d.nextAt, now) });
  }
}

/** A lease covers `held` requests sent one after another (a strict sequence), plus a margin. */
const leaseMs = (state: MachineState, held = 1) =>
  (state.config?.ordering === "strict" ? held : 1) * (state.config?.timeoutMs ?? 15_000) + LEASE_MARGIN_MS;

/** Hand due work to the caller (up to `want`), release the rest. */
function dispatch(state: MachineState, want: number, clock: Clock, effects: Effect[]) {
  if (stored(state) > 0 && state.window.length < need(state)) return; // the shell pages in first, then asks again
  let due = dueDeliveries(state, clock.now);
  if (due.length === 0) return;
  // A strict sequence has one holder: all of it to the caller (as much as it wants), or all released.
  const strict = state.config?.ordering === "strict";
  if (strict && want > 0) due = due.slice(0, want);
  const taken = new Set(due);
  state.window = state.window.filter((d) => !taken.has(d));
  const released: string[] = [];
  for (const d of due) {
    const toCaller = want > 0;
    if (toCaller && !strict) want--;
    const leaseId = clock.newLeaseId();
    state.inFlight.push({
      ...d,
      status: "delivering",
      leaseId,
      leaseExpiresAt: clock.now + (toCaller ? leaseMs(state, due.length) : RELEASE_LEASE_MS),
    });
    // out-of-order arrivals only mean something for strict hooks; unordered ones skip the summary write
    if (strict && (!state.lastSent || compareKeys(orderKey(d), state.lastSent) > 0)) state.lastSent = orderKey(d);
    if (toCaller) effects.push({ type: "grant", deliveryId: d.id, leaseId, attempt: d.attempts + 1 });
    else released.push(leaseId);
    takeToken(state, clock.now);
  }
  if (released.length) effects.push({ type: "release", leaseIds: released });
}

/** The window's deliveries that may be leased right now, in order. */
export function dueDeliveries(state: MachineState, now: number): Delivery[] {
  const cfg = state.config;
  if (!cfg || !cfg.active) return [];
  let budget = tokensAvailable(state, now);
  const out: Delivery[] = [];
  if (cfg.ordering === "strict") {
    // The head and the ready deliveries right behind it, as one sequence; none while one is out.
    if (state.inFlight.length > 0) return out;
    for (const d of state.window) {
      if (out.length >= STRICT_SEQUENCE || budget < 1 || readyAt(state, d) > now) break;
      out.push(d);
      budget--;
    }
    return out;
  }
  // Unordered: the window is sorted by due time, so the due ones are its first items.
  let inFlight = state.inFlight.length;
  for (const d of state.window) {
    if (inFlight >= cfg.maxInFlight || budget < 1 || d.nextAt > now) break;
    out.push(d);
    inFlight++;
    budget--;
  }
  return out;
}

/** When a pending delivery may go: its retry time, and for a strict head's first attempt the settle window. */
function readyAt(state: MachineState, d: Delivery): number {
  const settle = state.config?.ordering === "strict" && d.attempts === 0 ? d.publishedAt + (state.config.orderWindowMs ?? 0) : 0;
  return Math.max(d.nextAt, settle);
}

function tokensAvailable(state: MachineState, now: number): number {
  const rate = state.config?.rateLimitPerS;
  if (!rate) return Infinity;
  const b = state.bucket ?? { tokens: rate, at: now };
  return Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
}

function takeToken(state: MachineState, now: number) {
  if (!state.config?.rateLimitPerS) return;
  state.bucket = { tokens: tokensAvailable(state, now) - 1, at: now };
}

/**
 * The single alarm time: the earliest of every lease expiry, the window head's due time (retry or
 * settle deadline), and the next rate-limit refill. Null when nothing is waiting. O(in flight).
 */
export function nextWakeAt(state: MachineState, now: number): number | null {
  let t = Infinity;
  for (const d of state.inFlight) if (d.leaseExpiresAt !== null) t = Math.min(t, d.leaseExpiresAt);
  const cfg = state.config;
  const head = state.window[0];
  if (cfg?.active && head) {
    const blocked = cfg.ordering === "strict" ? state.inFlight.length > 0 : state.inFlight.length >= cfg.maxInFlight;
    if (!blocked) {
      let pendingAt = readyAt(state, head);
      if (cfg.rateLimitPerS && tokensAvailable(state, now) < 1) {
        const refill = now + Math.ceil(((1 - tokensAvailable(state, now)) / cfg.rateLimitPerS) * 1000);
        pendingAt = Math.max(pendingAt, refill);
      }
      t = Math.min(t, pendingAt);
    }
  }
  return t === Infinity ? null : t;
}
