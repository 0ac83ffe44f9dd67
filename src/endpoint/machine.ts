/**
 * EndpointDO's decisions as a pure state machine: decide(state, input, clock) → { state, effects }.
 * No I/O, no clock of its own. The DO shell loads state, calls decide, persists effects, sets the alarm.
 *
 * Invariants:
 *  - `queue` holds every pending/delivering delivery, sorted by publish order (publishedAt, index, id).
 *  - strict: at most one delivery leased; the head blocks until it succeeds or exhausts its schedule.
 *  - none: at most maxInFlight leased.
 *  - due work is never left unattended: what the caller does not take is released to the queue.
 */
import {
  AUTO_DISABLE_AFTER_MS,
  AUTO_DISABLE_MIN_ATTEMPTS,
  DEFAULT_RETRY_SCHEDULE_S,
  LEASE_MARGIN_MS,
  RELEASE_LEASE_MS,
  STRICT_SEQUENCE,
} from "../core/policy";
import { nextDelayMs } from "../core/retry-schedule";
import type { Counters, Delivery, FinalStatus, HookConfig, OrderKey, Outcome } from "./types";

export interface MachineState {
  config: HookConfig | null;
  queue: Delivery[];
  /** Order key of the newest delivery that has been handed out; later arrivals below it are out of order. */
  lastSent: OrderKey | null;
  failingSince: number | null;
  failStreak: number;
  lastStatus: "none" | "succeeded" | "failed";
  /** Set when the machine disabled the hook itself (410, 5 days failing). */
  disabledReason: string | null;
  counters: Counters;
  /** Token bucket for rate_limit_per_s. */
  bucket: { tokens: number; at: number } | null;
}

export const emptyState = (): MachineState => ({
  config: null,
  queue: [],
  lastSent: null,
  failingSince: null,
  failStreak: 0,
  lastStatus: "none",
  disabledReason: null,
  counters: { succeeded: 0, failed: 0, cancelled: 0, outOfOrder: 0 },
  bucket: null,
});

export interface Clock {
  now: number;
  random: () => number;
  newLeaseId: () => string;
}

export type Input =
  | { type: "configure"; config: HookConfig }
  | { type: "admit"; config?: HookConfig; deliveries: Omit<Delivery, "status" | "attempts" | "nextAt" | "leaseId" | "leaseExpiresAt" | "outOfOrder" | "lastError">[]; want: number }
  /** Outcomes of one or more leases (a consumer reports a hook's attempts together). A null
   *  outcome: not attempted (a strict sequence stopped at an earlier failure) — back to pending. */
  | { type: "report"; reports: { leaseId: string; outcome: Outcome | null }[]; want: number }
  | { type: "claim"; leaseIds: string[] }
  | { type: "alarm" }
  | { type: "cancel_all" };

export type Effect =
  /** Persist this delivery's live state (new or changed). */
  | { type: "save"; delivery: Delivery }
  /** The delivery ended; remove it from the live queue. */
  | { type: "finish"; delivery: Delivery; status: FinalStatus; at: number }
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

export function decide(prev: MachineState, input: Input, clock: Clock): Decision {
  const state: MachineState = { ...prev, queue: prev.queue.slice(), counters: { ...prev.counters } };
  const effects: Effect[] = [];
  let want = 0;
  switch (input.type) {
    case "configure":
      if (newer(input.config, state.config, true)) {
        state.config = input.config;
        if (input.config.active) state.disabledReason = null;
      }
      break;
    case "admit":
      if (input.config && newer(input.config, state.config, false)) state.config = input.config;
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
      expireLeases(state, clock.now, effects);
      break;
    case "cancel_all":
      for (const d of state.queue) effects.push({ type: "finish", delivery: d, status: "cancelled", at: clock.now });
      state.counters.cancelled += state.queue.length;
      state.queue = [];
      return { state, effects };
  }
  dispatch(state, want, clock, effects);
  return { state, effects };
}

/**
 * Whether `next` replaces the held config. An explicit configure (the API, the cron) wins unless
 * it is older; the config a fan-out batch carries must be strictly newer, so a batch that read D1
 * before a deactivation, or before this object disabled the hook itself, cannot undo it.
 */
function newer(next: HookConfig, held: HookConfig | null, explicit: boolean): boolean {
  if (!held || next.version === undefined || held.version === undefined) return true;
  return explicit ? next.version >= held.version : next.version > held.version;
}

function admit(state: MachineState, items: Extract<Input, { type: "admit" }>["deliveries"], now: number, effects: Effect[]) {
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
    if (state.config?.ordering !== "none" && state.lastSent && compareKeys(orderKey(d), state.lastSent) < 0) {
      d.outOfOrder = true;
      state.counters.outOfOrder++;
    }
    insertSorted(state.queue, d, state.config?.ordering !== "none");
    effects.push({ type: "save", delivery: d });
  }
}

/** Sorted insert by publish order. For strict hooks a late arrival never jumps ahead of the
 *  delivery in flight: it goes right after it, i.e. it is delivered next. */
function insertSorted(queue: Delivery[], d: Delivery, strict: boolean) {
  const key = orderKey(d);
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(orderKey(queue[mid]!), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (strict) {
    let lastInFlight = -1;
    for (let i = 0; i < queue.length; i++) if (queue[i]!.status === "delivering") lastInFlight = i;
    lo = Math.max(lo, lastInFlight + 1);
  }
  queue.splice(lo, 0, d);
}

function report(state: MachineState, leaseId: string, outcome: Outcome | null, clock: Clock, effects: Effect[]) {
  const i = state.queue.findIndex((d) => d.leaseId === leaseId && d.status === "delivering");
  if (i < 0) return; // stale lease: the delivery was re-released; its new holder reports instead
  const now = clock.now;
  const cur = state.queue[i]!;
  if (outcome === null) {
    state.queue[i] = { ...cur, status: "pending", leaseId: null, leaseExpiresAt: null };
    effects.push({ type: "save", delivery: state.queue[i]! });
    return;
  }
  const attempt = cur.attempts + 1;
  effects.push({ type: "attempt", deliveryId: cur.id, attempt, outcome });
  const base: Delivery = { ...cur, attempts: attempt, status: "pending", leaseId: null, leaseExpiresAt: null };

  if (outcome.ok) {
    state.queue.splice(i, 1);
    state.counters.succeeded++;
    effects.push({ type: "finish", delivery: { ...base, lastError: null }, status: "succeeded", at: now });
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
    state.queue[i] = { ...base, nextAt: now, lastError: error };
    effects.push({ type: "save", delivery: state.queue[i]! });
    disable(state, "gone", now, effects);
    return;
  }

  const schedule = state.config?.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_S;
  const delay = nextDelayMs(schedule, attempt, clock.random());
  if (delay === null) {
    state.queue.splice(i, 1);
    state.counters.failed++;
    effects.push({ type: "finish", delivery: { ...base, lastError: error }, status: "failed", at: now });
  } else {
    const nextAt = now + Math.max(delay, outcome.retryAfterMs ?? 0);
    state.queue[i] = { ...base, nextAt, lastError: error };
    effects.push({ type: "save", delivery: state.queue[i]! });
  }

  if (now - state.failingSince >= AUTO_DISABLE_AFTER_MS && state.failStreak >= AUTO_DISABLE_MIN_ATTEMPTS) {
    disable(state, "failing", now, effects);
  }
}

function disable(state: MachineState, reason: string, now: number, effects: Effect[]) {
  if (state.config) state.config = { ...state.config, active: false };
  state.disabledReason = reason;
  effects.push({ type: "disable", reason, at: now });
}

function describe(o: Outcome): string {
  if (o.error) return o.error;
  if (o.statusCode !== null) return `HTTP ${o.statusCode}`;
  return o.errorKind ?? "failed";
}

function claim(state: MachineState, leaseIds: string[], now: number, effects: Effect[]) {
  const wanted = new Set(leaseIds);
  state.queue = state.queue.map((d) => {
    if (d.status !== "delivering" || !d.leaseId || !wanted.has(d.leaseId)) return d;
    if ((d.leaseExpiresAt ?? 0) <= now) return d;
    const leased = { ...d, leaseExpiresAt: now + leaseMs(state, wanted.size) };
    effects.push({ type: "save", delivery: leased });
    effects.push({ type: "grant", deliveryId: d.id, leaseId: d.leaseId, attempt: d.attempts + 1 });
    return leased;
  });
}

/** Leases whose holder never reported go back to pending, due now: at-least-once, never lost. */
function expireLeases(state: MachineState, now: number, effects: Effect[]) {
  state.queue = state.queue.map((d) => {
    if (d.status !== "delivering" || (d.leaseExpiresAt ?? Infinity) > now) return d;
    const back: Delivery = { ...d, status: "pending", leaseId: null, leaseExpiresAt: null, nextAt: now };
    effects.push({ type: "save", delivery: back });
    return back;
  });
}

/** A lease covers `held` requests sent one after another (a strict sequence), plus a margin. */
const leaseMs = (state: MachineState, held = 1) =>
  (state.config?.ordering === "strict" ? held : 1) * (state.config?.timeoutMs ?? 15_000) + LEASE_MARGIN_MS;

/** Hand due work to the caller (up to `want`), release the rest. */
function dispatch(state: MachineState, want: number, clock: Clock, effects: Effect[]) {
  let due = dueDeliveries(state, clock.now);
  if (due.length === 0) return;
  // A strict sequence has one holder: all of it to the caller (as much as it wants), or all released.
  const strict = state.config?.ordering === "strict";
  if (strict && want > 0) due = due.slice(0, want);
  const released: string[] = [];
  for (const idx of due) {
    const d = state.queue[idx]!;
    const toCaller = want > 0;
    if (toCaller && !strict) want--;
    const leaseId = clock.newLeaseId();
    const leased: Delivery = {
      ...d,
      status: "delivering",
      leaseId,
      leaseExpiresAt: clock.now + (toCaller ? leaseMs(state, due.length) : RELEASE_LEASE_MS),
    };
    state.queue[idx] = leased;
    if (!state.lastSent || compareKeys(orderKey(d), state.lastSent) > 0) state.lastSent = orderKey(d);
    effects.push({ type: "save", delivery: leased });
    if (toCaller) effects.push({ type: "grant", deliveryId: d.id, leaseId, attempt: d.attempts + 1 });
    else released.push(leaseId);
    takeToken(state, clock.now);
  }
  if (released.length) effects.push({ type: "release", leaseIds: released });
}

/** Indexes into the queue of deliveries that may be leased right now. */
export function dueDeliveries(state: MachineState, now: number): number[] {
  const cfg = state.config;
  if (!cfg || !cfg.active) return [];
  let budget = tokensAvailable(state, now);
  const out: number[] = [];
  if (cfg.ordering === "strict") {
    // The head and the ready deliveries right behind it, as one sequence; none while one is out.
    if (state.queue.some((d) => d.status === "delivering")) return out;
    for (let i = 0; i < state.queue.length && out.length < STRICT_SEQUENCE && budget >= 1; i++) {
      const d = state.queue[i]!;
      if (d.status !== "pending" || readyAt(state, d) > now) break;
      out.push(i);
      budget--;
    }
    return out;
  }
  let inFlight = state.queue.filter((d) => d.status === "delivering").length;
  for (let i = 0; i < state.queue.length && inFlight < cfg.maxInFlight && budget >= 1; i++) {
    const d = state.queue[i]!;
    if (d.status === "pending" && d.nextAt <= now) {
      out.push(i);
      inFlight++;
      budget--;
    }
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
 * The single alarm time: the earliest of every lease expiry, the next due retry / settle deadline,
 * and the next rate-limit refill. Null when nothing is waiting.
 */
export function nextWakeAt(state: MachineState, now: number): number | null {
  let t = Infinity;
  for (const d of state.queue) if (d.status === "delivering" && d.leaseExpiresAt !== null) t = Math.min(t, d.leaseExpiresAt);
  const cfg = state.config;
  if (cfg?.active) {
    const candidates = cfg.ordering === "strict" ? state.queue.slice(0, 1) : state.queue;
    const inFlight = state.queue.filter((d) => d.status === "delivering").length;
    const capped = cfg.ordering === "none" && inFlight >= cfg.maxInFlight;
    if (!capped) {
      let pendingAt = Infinity;
      for (const d of candidates) if (d.status === "pending") pendingAt = Math.min(pendingAt, readyAt(state, d));
      if (pendingAt !== Infinity && cfg.rateLimitPerS && tokensAvailable(state, now) < 1) {
        const refill = now + Math.ceil(((1 - tokensAvailable(state, now)) / cfg.rateLimitPerS) * 1000);
        pendingAt = Math.max(pendingAt, refill);
      }
      t = Math.min(t, pendingAt);
    }
  }
  return t === Infinity ? null : t;
}
