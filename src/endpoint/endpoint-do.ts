/**
 * EndpointDO: one per hook. A thin shell around the pure machine (./machine.ts):
 * load state → decide → persist effects → set the single alarm. It never awaits a target URL;
 * consumers do the network wait and report back.
 */
import { DurableObject } from "cloudflare:workers";
import type { OutboundEvent } from "../core/profiles";
import type { Env } from "../env";
import { settings } from "../env";
import { deliveryId, newId } from "../core/ids";
import { histogramPercentile, type Histogram } from "../core/percentile";
import { CANCEL_CHUNK, PURGE_CHUNK, WINDOW_MAX } from "../core/policy";
import { DAY_MS, HOUR_MS } from "../core/time";
import { disable, recordDeliveryStatus, retireOneOff } from "../hooks/transitions";
import { emitOperational, isOperational } from "../lifecycle/operational";
import { errorFields, log } from "../log";
import { count, instrument } from "../metrics";
import { decide, inMemory, needsPage, nextWakeAt, pageSize, type Clock, type Effect, type Input, type MachineState } from "./machine";
import { addHour, addLatency, EndpointStore, emptyHour, firstAttempt, type BlockItem, type FirstAttempt, type AttemptRecord, type DeliveryCursor, type DeliveryRecord, type HourStats } from "./store";
import type { AdmitItem, Delivery, DeliveryStatus, Grant, HookConfig, Outcome } from "./types";

/** One hook's delivery counts and attempt latency over a time range (GET /v1/stats merges them). */
export interface HookStats {
  succeeded: number;
  failed: number;
  cancelled: number;
  pending: number;
  out_of_order: number;
  attempts: number;
  p50_ms: number | null;
  p99_ms: number | null;
  counters: MachineState["counters"];
  /** Latency histogram (see core/percentile), summed across hooks for tenant percentiles. */
  latency: Histogram;
}

/** What an EndpointDO holds about its hook's state, for the reconciler. */
export interface EndpointView {
  /** The held config's version (the hook row's updated_at it came from); null: never configured. */
  version: number | null;
  active: boolean;
  /** A tombstone: the hook is being deleted. */
  deleted: boolean;
  /** This object disabled the hook itself (410, 5 days failing), at this time. */
  disabled: { reason: string; at: number } | null;
  lastStatus: "none" | "succeeded" | "failed";
  failingSince: number | null;
  live: number;
}

export interface AdmitResult {
  admitted: number;
  duplicates: number;
  grants: Grant[];
}

export class EndpointDO extends DurableObject<Env> {
  private readonly store: EndpointStore;
  private state: MachineState;
  /** Injectable for tests: time and randomness. */
  clock: () => Clock = () => ({ now: Date.now(), random: Math.random, newLeaseId: () => `${this.epoch}.${newId("lease")}` });
  /** This instance: lease ids carry it, so a report can tell a lease it never issued from a stale one. */
  private readonly epoch = crypto.randomUUID().slice(0, 8);
  /** Deliveries admitted with `hold` and not written yet, as they were admitted. */
  private readonly unsaved = new Map<string, { item: AdmitItem; delivery: Delivery; holder: string }>();
  /** Which holding caller each lease was handed to (a report from it continues its drain). */
  private readonly leaseHolder = new Map<string, string>();
  /**
   * Held deliveries that succeeded at their first try, and their part of the hourly aggregates,
   * not written yet: they are written together, as block rows, when a holder's drain ends, when a
   * call serves no holder, when anything is read, or past WINDOW_MAX of them. Until then their
   * queue message is unacknowledged, so a reset loses no delivery (the message admits them again).
   */
  private done: BlockItem[] = [];
  private readonly doneIds = new Set<string>();
  private doneHours = new Map<number, HourStats>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrument(env));
    this.store = new EndpointStore(ctx.storage.sql);
    this.state = this.store.load();
    this.cancelBefore = this.store.chores().cancelBefore;
    this.coldStart = { ...this.store.meter };
    this.peakInMemory = inMemory(this.state).length;
  }

  /** Rows the cold start read and wrote (SQL cursor counts), for tests and the bench. */
  readonly coldStart: { rowsRead: number; rowsWritten: number };
  /** The most deliveries this instance has held in memory at once, pooled successes included (bounded by the window, not the backlog). */
  private peakInMemory: number;
  /** Live deliveries created up to this time are still being cancelled in chunks (hook deleted). */
  private cancelBefore: number | null = null;
  /** Retention runs on the alarm at most once an hour per instance, through an indexed range. */
  private nextPurgeAt = 0;

  /**
   * Store new deliveries (deduplicated: a delivery's id is derived from its hook and dedupe key,
   * and the id is the primary key) and hand out what may go now. Idempotent.
   *
   * `hold`: the caller keeps its queue message unacknowledged until it has reported every grant it
   * takes (the fan-out consumer). Then these deliveries need not be written now: the message is
   * their durable record. They are written once — finished, with their first attempt — when they
   * end, or as pending as soon as they outlive the caller's interest (its last report takes no
   * more grants, they are evicted from the window, or they are retried). A delivery that succeeds
   * while held costs one row write instead of an insert and an update of a queued row.
   */
  async admit(config: HookConfig, items: AdmitItem[], want = 1, hold = false): Promise<AdmitResult> {
    const clock = this.clock();
    const fresh = new Map<string, AdmitItem>();
    for (const given of items) {
      const it = { ...given, id: deliveryId(config.hookId, given.publishedAt, given.index, given.dedupeKey) };
      if (fresh.has(it.id) || this.unsaved.has(it.id) || this.doneIds.has(it.id) || this.store.has(it.id)) continue;
      fresh.set(it.id, it);
    }
    const input: Input = {
      type: "admit",
      config,
      want,
      deliveries: [...fresh.values()].map((it) => ({ id: it.id, eventId: it.eventId, publishedAt: it.publishedAt, index: it.index, createdAt: clock.now })),
    };
    const grants = await this.run(input, clock, fresh, hold ? crypto.randomUUID() : null);
    return { admitted: fresh.size, duplicates: items.length - fresh.size, grants };
  }

  /**
   * The consumer's outcomes for its leases (one RPC for a hook's concurrent attempts); returns up to
   * `want` next grants. A lease handed out by an earlier instance of this object that it no longer
   * knows is an error: the deliveries it covered may have been held unsaved, so the caller must
   * not acknowledge their queue message (it is redelivered and admits them again).
   */
  async report(reports: { leaseId: string; outcome: Outcome | null }[], want = 1): Promise<Grant[]> {
    for (const r of reports) {
      const epoch = r.leaseId.includes(".") ? r.leaseId.slice(0, r.leaseId.indexOf(".")) : this.epoch;
      if (epoch !== this.epoch && !this.state.inFlight.some((d) => d.leaseId === r.leaseId)) {
        throw new Error("lease from a previous instance of this endpoint: redeliver its message");
      }
    }
    const holder = reports.map((r) => this.leaseHolder.get(r.leaseId)).find((h) => h !== undefined) ?? null;
    return this.run({ type: "report", reports, want }, this.clock(), undefined, holder);
  }

  /** Turn released leases into grants (a consumer picked up a drain job). */
  async claim(leaseIds: string[]): Promise<Grant[]> {
    return this.run({ type: "claim", leaseIds }, this.clock());
  }

  async configure(config: HookConfig): Promise<void> {
    await this.run({ type: "configure", config }, this.clock());
  }

  /** The hook was deleted: every live delivery ends `cancelled`. */
  async cancelAll(): Promise<number> {
    const n = this.state.live;
    await this.run({ type: "cancel_all" }, this.clock());
    if (this.cancelBefore === null) {
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
    }
    return n;
  }

  /** The hook is gone for good (deleted unvalidated): end what is live, then drop all storage. */
  async destroy(): Promise<number> {
    const n = await this.cancelAll();
    await this.ctx.storage.deleteAll();
    this.store.forget();
    this.state = this.store.load();
    return n;
  }

  /** Retention: history older than `before` (ms). Returns rows removed. */
  purge(before: number, limit = PURGE_CHUNK): number {
    return this.store.purge(before, limit);
  }

  async alarm(): Promise<void> {
    count("do.alarm_runs");
    this.alarmAt = null; // the alarm that is running is spent
    const clock = this.clock();
    this.cancelChunk();
    if (clock.now >= this.nextPurgeAt) {
      const removed = this.store.purge(clock.now - settings(this.env).logRetentionDays * DAY_MS, PURGE_CHUNK);
      this.nextPurgeAt = removed === PURGE_CHUNK ? clock.now : clock.now + HOUR_MS;
    }
    await this.run({ type: "alarm" }, clock);
  }

  /** Safety net for the cron sweep: re-arm the alarm (and release due work) if anything waits. */
  async poke(): Promise<{ live: number; wakeAt: number | null }> {
    await this.alarm();
    return { live: this.state.live, wakeAt: nextWakeAt(this.state, Date.now()) };
  }

  /** Cancels the next chunk of a deleted hook's stored backlog; the alarm carries on until none is left. */
  private cancelChunk() {
    if (this.cancelBefore === null) return;
    const at = this.cancelBefore;
    const n = this.store.cancelStored(at, CANCEL_CHUNK);
    if (n < CANCEL_CHUNK) this.cancelBefore = null;
    this.store.saveChores({ ...this.store.chores(), cancelBefore: this.cancelBefore });
    if (n) this.store.addStats(new Map([[Math.floor(at / HOUR_MS), { ...emptyHour(), cancelled: n }]]));
  }

  // ---- reads (history, stats) ---------------------------------------------------------------

  listDeliveries(opts: { status?: DeliveryStatus; eventType?: string; before?: DeliveryCursor; limit: number }): DeliveryRecord[] {
    this.settleDone();
    const rows = this.store.list(opts).map((r) => this.overlay(r));
    return opts.status === "pending" || opts.status === "delivering" ? rows.filter((r) => r.status === opts.status) : rows;
  }

  /** The event a delivery carries, as stored (the Speckle façade's history shows it). */
  deliveryEvent(id: string): OutboundEvent | null {
    this.settleDone();
    return this.store.event(id);
  }

  getDelivery(id: string): { delivery: DeliveryRecord; attempts: AttemptRecord[] } | null {
    this.settleDone();
    const delivery = this.store.get(id);
    return delivery ? { delivery: this.overlay(delivery), attempts: this.store.attempts(id) } : null;
  }

  /** A live delivery is stored as pending; the leases are this object's to know. */
  private overlay(r: DeliveryRecord): DeliveryRecord {
    return r.status === "pending" && this.state.inFlight.some((d) => d.id === r.id) ? { ...r, status: "delivering" } : r;
  }

  /**
   * New deliveries of the events behind `deliveryIds` (resend, recover), queued now like any other
   * delivery and in the order given. Returns the new delivery ids (null where the id is unknown).
   */
  async requeue(config: HookConfig, deliveryIds: string[]): Promise<(string | null)[]> {
    this.settleDone();
    const now = Date.now();
    const items: AdmitItem[] = [];
    const out = deliveryIds.map((id, i) => {
      const event = this.store.event(id);
      if (!event) return null;
      const dedupeKey = `${event.id}#${newId("dlv", now)}`; // a new delivery of the same event
      const fresh = deliveryId(config.hookId, now, i, dedupeKey);
      items.push({ id: fresh, dedupeKey, eventId: event.id, publishedAt: now, index: i, event });
      return fresh;
    });
    if (items.length) await this.admit(config, items, 0);
    return out;
  }

  /** Failed deliveries created since `since`, requeued in their original order. */
  async recover(config: HookConfig, since: number): Promise<string[]> {
    const failed = this.store.failedSince(since).map((d) => d.id);
    return (await this.requeue(config, failed)).filter((x): x is string => x !== null);
  }

  /**
   * Counts and attempt latency since `since` (whole hours) from the hourly aggregates, and what is
   * pending now: O(hours), whatever the history. The latency histogram merges across hooks.
   */
  stats(since: number): HookStats {
    this.settleDone();
    const h = this.store.statsSince(since);
    return {
      succeeded: h.succeeded, failed: h.failed, cancelled: h.cancelled, pending: this.state.live, out_of_order: h.outOfOrder,
      attempts: h.attempts, p50_ms: histogramPercentile(h.latency, 50), p99_ms: histogramPercentile(h.latency, 99),
      counters: this.allTime(), latency: h.latency,
    };
  }

  /**
   * Read-only: per hour since `since`, deliveries that ended succeeded / failed and attempt latency
   * p50 / p99 — the dashboard's and the portal's charts (issue 18). Hours with nothing are absent.
   */
  hourlyStats(since: number): { hour: number; succeeded: number; failed: number; attempts: number; p50_ms: number | null; p99_ms: number | null }[] {
    this.settleDone();
    return this.store.hourly(since).map((h) => ({
      hour: h.hour * HOUR_MS, succeeded: h.succeeded, failed: h.failed, attempts: h.attempts,
      p50_ms: histogramPercentile(h.latency, 50), p99_ms: histogramPercentile(h.latency, 99),
    }));
  }

  /** Counters since the hook began: the sum of its hourly aggregates (kept until retention). */
  private allTime(): MachineState["counters"] {
    const all = this.store.statsSince(0);
    return { succeeded: all.succeeded, failed: all.failed, cancelled: all.cancelled, skipped: all.skipped, outOfOrder: all.outOfOrder };
  }

  /** For tests, the sweep and the bench: the machine's state and what this instance has held and read. */
  snapshot() {
    return {
      state: this.state,
      wakeAt: nextWakeAt(this.state, Date.now()),
      inMemory: inMemory(this.state).length + this.done.length,
      peakInMemory: this.peakInMemory,
      coldStart: this.coldStart,
      meter: { ...this.store.meter },
    };
  }

  // ---- the shell ------------------------------------------------------------------------------

  /**
   * decide → persist → page in more of the backlog if the window ran low (and decide on it) →
   * side effects → alarm. Every SQL write of one call happens before its first await, so rows, the
   * summary and the aggregates commit together. `fresh`: deliveries first seen here (inserted).
   */
  /** `holder`: the holding caller this run serves (admit with hold, or its later reports), if any. */
  private async run(input: Input, clock: Clock, fresh = new Map<string, AdmitItem>(), holder: string | null = null): Promise<Grant[]> {
    const want = "want" in input ? input.want : 0;
    const handOut: Extract<Effect, { type: "grant" }>[] = [];
    const after: Effect[] = [];
    const hours = new Map<number, HourStats>();
    this.finishedInRun = false;
    let decision = decide(this.state, input, clock);
    for (let pages = 0; ; pages++) {
      this.state = decision.state;
      this.persist(decision.effects, clock, fresh, input.type === "admit" ? holder : null, hours, handOut, after);
      if (pages >= 4 || !needsPage(this.state)) break;
      const rows = this.store.page(this.state, pageSize(this.state));
      if (rows.length === 0) {
        // The summary counts more live deliveries than storage holds: trust storage.
        log("error", "live count corrected", { hook_id: this.state.config?.hookId, counted: this.state.live });
        this.state = { ...this.state, live: this.state.inFlight.length + this.state.window.length };
        break;
      }
      decision = decide(this.state, { type: "page", deliveries: rows, want: Math.max(0, want - handOut.length) }, clock);
    }
    this.peakInMemory = Math.max(this.peakInMemory, inMemory(this.state).length + this.done.length);
    if (holder) for (const g of handOut) this.leaseHolder.set(g.leaseId, holder);
    this.flushUnsaved(handOut.length === 0 ? holder : undefined, clock.now);
    if (holder === null || handOut.length === 0 || this.done.length >= WINDOW_MAX) this.settleDone(hours);
    this.store.addStats(hours);
    this.store.saveMeta(this.state, new Set(this.unsaved.keys()));

    const state = this.state;
    const grants: Grant[] = [];
    for (const g of handOut) {
      // no read for what was just admitted or is held
      const event = fresh.get(g.deliveryId)?.event ?? this.unsaved.get(g.deliveryId)?.item.event ?? this.store.event(g.deliveryId);
      if (event && state.config) grants.push({ leaseId: g.leaseId, deliveryId: g.deliveryId, attempt: g.attempt, hook: state.config, event });
    }
    await this.armAlarm(clock.now);
    for (const e of after) await this.sideEffect(e);
    if (state.config?.ephemeral && state.live === 0 && this.finishedInRun) await this.retireOneOff();
    return grants;
  }

  /**
   * Writes one decision's effects: at most one row write per delivery per decision, the first
   * attempt inside its delivery's row. `fresh`: deliveries first seen in this run; with `hold`
   * they are not written yet (see admit).
   */
  private persist(
    effects: Effect[], clock: Clock, fresh: Map<string, AdmitItem>, hold: string | null, hours: Map<number, HourStats>,
    handOut: Extract<Effect, { type: "grant" }>[], after: Effect[],
  ) {
    const ordering = this.state.config?.ordering;
    const hour = (at: number) => {
      const h = Math.floor(at / HOUR_MS);
      let agg = hours.get(h);
      if (!agg) hours.set(h, (agg = emptyHour()));
      return agg;
    };
    const pooled = (at: number) => {
      const h = Math.floor(at / HOUR_MS);
      let agg = this.doneHours.get(h);
      if (!agg) this.doneHours.set(h, (agg = emptyHour()));
      return agg;
    };
    const firsts = new Map<string, FirstAttempt>();
    const latencies: { id: string; at: number; ms: number }[] = [];
    const saves = new Map<string, Delivery>();
    for (const e of effects) {
      if (e.type === "save") saves.set(e.delivery.id, e.delivery);
      else if (e.type === "finish") {
        saves.delete(e.delivery.id);
        const id = e.delivery.id;
        const held = this.unsaved.get(id)?.item ?? (this.isNew(id, fresh) ? fresh.get(id) : undefined);
        const first = firsts.get(id) ?? null;
        if (held && first && e.status === "succeeded" && e.delivery.attempts === 1) {
          // never stored and done at its first try: kept with the others until a block is written
          this.done.push({
            id, event_id: e.delivery.eventId, event_type: held.event.type, published_at: e.delivery.publishedAt, idx: e.delivery.index,
            out_of_order: e.delivery.outOfOrder, created_at: e.delivery.createdAt, finished_at: e.at, event: held.event, first,
          });
          this.doneIds.add(id);
          pooled(e.at).succeeded++;
        } else {
          if (held) this.store.insert(e.delivery, ordering, held.event, clock.now, first, { status: e.status, at: e.at });
          else this.store.finish(e.delivery, e.status, e.at, first);
          hour(e.at)[e.status]++;
        }
        this.unsaved.delete(id);
        this.finishedInRun = true;
        if (e.status === "failed") after.push(e);
      } else if (e.type === "attempt") {
        if (e.attempt === 1) firsts.set(e.deliveryId, firstAttempt(e.outcome));
        else this.store.appendAttempt(e.deliveryId, e.attempt, e.outcome);
        latencies.push({ id: e.deliveryId, at: e.outcome.startedAt, ms: e.outcome.durationMs });
      } else if (e.type === "grant") handOut.push(e);
      else if (e.type === "cancel_stored") {
        this.cancelBefore = e.at;
        this.cancelChunk();
      } else if (e.type === "reorder") this.store.reorder(e.ordering);
      else after.push(e);
    }
    for (const d of saves.values()) {
      const first = firsts.get(d.id) ?? null;
      const unsaved = this.unsaved.get(d.id);
      if (this.isNew(d.id, fresh)) {
        const it = fresh.get(d.id)!;
        if (d.outOfOrder) hour(clock.now).outOfOrder++;
        if (hold) this.unsaved.set(d.id, { item: it, delivery: d, holder: hold });
        else this.store.insert(d, ordering, it.event, clock.now, first);
      } else if (unsaved) {
        // held and now retried (or otherwise changed): it is written from here on
        this.store.insert(d, ordering, unsaved.item.event, clock.now, first);
        this.unsaved.delete(d.id);
      } else this.store.update(d, ordering, clock.now, first);
    }
    // an attempt counts with its delivery: pooled with it, or now
    for (const l of latencies) addLatency(this.doneIds.has(l.id) ? pooled(l.at) : hour(l.at), l.ms);
    for (const id of fresh.keys()) this.seen.add(id);
  }

  /** Writes the pooled first-try successes (block rows) and adds their aggregates to `hours`. */
  private settleDone(hours?: Map<number, HourStats>) {
    if (this.done.length === 0) return;
    this.store.insertBlock(this.done);
    const own = hours ?? new Map<number, HourStats>();
    for (const [h, add] of this.doneHours) own.set(h, own.has(h) ? addHour(own.get(h)!, add) : add);
    if (!hours) this.store.addStats(own);
    this.done = [];
    this.doneIds.clear();
    this.doneHours = new Map();
  }

  /** A fresh delivery's first save in this run (later decisions of the run see it as known). */
  private isNew(id: string, fresh: Map<string, AdmitItem>): boolean {
    return fresh.has(id) && !this.seen.has(id) && !this.unsaved.has(id);
  }

  /** Fresh deliveries already handled by an earlier decision of the current run. */
  private readonly seen = new Set<string>();

  /**
   * Held deliveries are written as pending as soon as no caller is working through them: those of a
   * holder whose call took no grant (its drain of this hook ends here, `done`), those of any holder
   * with no lease out any more (it went away; checked on runs that serve no holder: the alarm,
   * claims, configure), and any that left memory (evicted from the window by earlier arrivals).
   */
  private flushUnsaved(done: string | null | undefined, now: number) {
    this.seen.clear();
    const live = new Set(this.state.inFlight.map((d) => d.leaseId));
    for (const lease of this.leaseHolder.keys()) if (!live.has(lease)) this.leaseHolder.delete(lease);
    if (this.unsaved.size === 0) return;
    const working = new Set(this.leaseHolder.values());
    const held = new Map(inMemory(this.state).map((d) => [d.id, d]));
    for (const [id, { item, delivery, holder }] of this.unsaved) {
      const current = held.get(id);
      const abandoned = done === holder || (done === null && !working.has(holder));
      if (current && !abandoned) continue;
      this.store.insert(current ?? delivery, this.state.config?.ordering, item.event, now, null);
      this.unsaved.delete(id);
    }
  }

  /** Whether the current run ended any delivery (a one-off target's hook row goes with its last). */
  private finishedInRun = false;

  private async sideEffect(e: Effect) {
    const hookId = this.state.config?.hookId;
    if (!hookId) return;
    try {
      if (e.type === "release") {
        await this.env.DELIVERIES.send({ kind: "drain", hook_id: hookId, leases: e.leaseIds });
      } else if (e.type === "status") {
        await recordDeliveryStatus(this.env, hookId, e);
      } else if (e.type === "disable") {
        // This object already holds the inactive config; D1 learns it through the transition.
        await disable(this.env, { id: hookId, tenantId: this.state.config!.tenantId, url: this.state.config!.url }, e.reason, e.at, { push: false });
      } else if (e.type === "finish") {
        const d = this.store.get(e.delivery.id);
        if (d && !isOperational(d.event_type)) {
          await emitOperational(this.env, this.state.config!.tenantId, "hookline.delivery.failed", e.delivery.id, {
            hook_id: hookId, delivery_id: d.id, event_id: d.event_id, event_type: d.event_type,
            attempts: d.attempts, last_error: d.last_error,
          });
        }
      }
    } catch (err) {
      // Nothing is lost, and nothing is left undone for long: leases that failed to release expire
      // and the alarm re-releases them; a status or disable that did not reach D1 is applied by the
      // reconciler (src/scheduled/reconcile.ts), which reads it from view().
      log("error", "endpoint side effect failed", { hook_id: hookId, effect: e.type, ...errorFields(err) });
    }
  }

  /** A one-off target whose last delivery ended: its hook row goes; this object keeps the history. */
  private async retireOneOff() {
    const hookId = this.state.config!.hookId;
    try {
      await retireOneOff(this.env, hookId);
    } catch (err) {
      log("error", "one-off hook row not removed; the reconciler will", { hook_id: hookId, ...errorFields(err) });
    }
  }

  /**
   * The reconciler's call: apply D1's config if it is newer than the one held (never the same
   * version: this object may have disabled the hook itself under it), and say what this object
   * holds, so that D1 can learn what did not reach it. One RPC per hook per reconciler visit.
   */
  async reconcile(config: HookConfig): Promise<EndpointView & { pushed: boolean }> {
    const held = this.state.config;
    const pushed = !held || (config.version ?? 0) > (held.version ?? 0);
    if (pushed) await this.run({ type: "configure", config }, this.clock());
    return { ...this.view(), pushed };
  }

  /** What this object holds about its hook's state (read-only). */
  view(): EndpointView {
    const c = this.state.config;
    return {
      version: c?.version ?? null,
      active: !!c?.active,
      deleted: !!c?.deleted,
      disabled: this.state.disabledReason ? { reason: this.state.disabledReason, at: this.state.disabledAt ?? c?.version ?? 0 } : null,
      lastStatus: this.state.lastStatus,
      failingSince: this.state.failingSince,
      live: this.state.live,
    };
  }

  /** The tenant owning this object's hook (history of a removed one-off target stays readable by it). */
  owner(): { tenantId: string; ephemeral: boolean } | null {
    const c = this.state.config;
    return c ? { tenantId: c.tenantId, ephemeral: !!c.ephemeral } : null;
  }

  /**
   * One alarm per object, never later than the earliest due work (lease expiry, retry, settle
   * deadline, rate-limit refill). A sooner alarm that is still pending is kept rather than
   * rewritten: an early wake-up finds nothing due and re-arms, which costs one alarm run instead
   * of an alarm write on almost every decision (see bench/RESULTS.md).
   */
  private async armAlarm(now: number) {
    const want = this.cancelBefore !== null ? now : nextWakeAt(this.state, now);
    if (want === null) return;
    const at = Math.max(want, now);
    this.alarmAt ??= await this.ctx.storage.getAlarm(); // read once per instance, then tracked here
    if (this.alarmAt !== null && this.alarmAt > now && this.alarmAt <= at) return;
    count("do.alarm_writes");
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /** The alarm this instance last set or read (undefined: not read yet; null: none). */
  private alarmAt: number | null | undefined = undefined;
}
