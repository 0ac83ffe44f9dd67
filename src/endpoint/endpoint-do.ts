/**
 * EndpointDO: one per hook. A thin shell around the pure machine (./machine.ts):
 * load state → decide → persist effects → set the single alarm. It never awaits a target URL;
 * consumers do the network wait and report back.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { settings } from "../env";
import { newId } from "../core/ids";
import { percentile } from "../core/percentile";
import { DAY_MS } from "../core/time";
import { emitOperational, isOperational } from "../lifecycle/operational";
import { log } from "../log";
import { count, instrument } from "../metrics";
import { decide, nextWakeAt, type Clock, type Effect, type Input, type MachineState } from "./machine";
import { EndpointStore, type AttemptRecord, type DeliveryCursor, type DeliveryRecord } from "./store";
import type { AdmitItem, Delivery, DeliveryStatus, Grant, HookConfig, Outcome } from "./types";

export interface AdmitResult {
  admitted: number;
  duplicates: number;
  grants: Grant[];
}

export class EndpointDO extends DurableObject<Env> {
  private readonly store: EndpointStore;
  private state: MachineState;
  /** Injectable for tests: time and randomness. */
  clock: () => Clock = () => ({ now: Date.now(), random: Math.random, newLeaseId: () => newId("lease") });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrument(env));
    this.store = new EndpointStore(ctx.storage.sql);
    this.state = this.store.load();
  }

  /** Store new deliveries (deduplicated by key) and hand out what may go now. Idempotent. */
  async admit(config: HookConfig, items: AdmitItem[], want = 1): Promise<AdmitResult> {
    const clock = this.clock();
    const fresh: AdmitItem[] = [];
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(it.dedupeKey) || this.store.hasDedupeKey(it.dedupeKey)) continue;
      seen.add(it.dedupeKey);
      fresh.push(it);
    }
    const input: Input = {
      type: "admit",
      config,
      want,
      deliveries: fresh.map((it) => ({ id: it.id, eventId: it.eventId, publishedAt: it.publishedAt, index: it.index, createdAt: clock.now })),
    };
    const grants = await this.run(input, clock, new Map(fresh.map((it) => [it.id, it])));
    return { admitted: fresh.length, duplicates: items.length - fresh.length, grants };
  }

  /** The consumer's outcomes for its leases (one RPC for a hook's concurrent attempts); returns up to `want` next grants. */
  async report(reports: { leaseId: string; outcome: Outcome | null }[], want = 1): Promise<Grant[]> {
    return this.run({ type: "report", reports, want }, this.clock());
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
    const n = this.state.queue.length;
    await this.run({ type: "cancel_all" }, this.clock());
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
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
  purge(before: number): number {
    return this.store.purge(before);
  }

  async alarm(): Promise<void> {
    count("do.alarm_runs");
    this.alarmAt = null; // the alarm that is running is spent
    const clock = this.clock();
    await this.run({ type: "alarm" }, clock);
    this.store.purge(clock.now - settings(this.env).logRetentionDays * DAY_MS);
  }

  /** Safety net for the cron sweep: re-arm the alarm (and release due work) if anything waits. */
  async poke(): Promise<{ live: number; wakeAt: number | null }> {
    await this.alarm();
    return { live: this.state.queue.length, wakeAt: nextWakeAt(this.state, Date.now()) };
  }

  // ---- reads (history, stats) ---------------------------------------------------------------

  listDeliveries(opts: { status?: DeliveryStatus; eventType?: string; before?: DeliveryCursor; limit: number }): DeliveryRecord[] {
    return this.store.list(opts);
  }

  getDelivery(id: string): { delivery: DeliveryRecord; attempts: AttemptRecord[] } | null {
    const delivery = this.store.get(id);
    return delivery ? { delivery, attempts: this.store.attempts(id) } : null;
  }

  /**
   * New deliveries of the events behind `deliveryIds` (resend, recover), queued now like any other
   * delivery and in the order given. Returns the new delivery ids (null where the id is unknown).
   */
  async requeue(config: HookConfig, deliveryIds: string[]): Promise<(string | null)[]> {
    const now = Date.now();
    const items: AdmitItem[] = [];
    const out = deliveryIds.map((id, i) => {
      const event = this.store.event(id);
      if (!event) return null;
      const fresh = newId("dlv", now);
      items.push({ id: fresh, dedupeKey: `${event.id}#${fresh}`, eventId: event.id, publishedAt: now, index: i, event });
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

  stats(since: number) {
    const counts = this.store.counts(since);
    const lat = this.store.latencies(since);
    // The tenant-wide percentiles merge every hook's latencies: send at most 1,000 evenly spaced ones.
    const step = Math.max(1, Math.ceil(lat.length / 1000));
    const sample = step === 1 ? lat : lat.filter((_, i) => i % step === 0);
    return { ...counts, attempts: lat.length, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), counters: this.state.counters, latencies: sample };
  }

  /** For tests and the sweep. */
  snapshot() {
    return { state: this.state, wakeAt: nextWakeAt(this.state, Date.now()) };
  }

  // ---- the shell ------------------------------------------------------------------------------

  /** decide → persist → side effects → alarm. `fresh`: deliveries first seen here (inserted, not updated). */
  private async run(input: Input, clock: Clock, fresh = new Map<string, AdmitItem>()): Promise<Grant[]> {
    const { state, effects } = decide(this.state, input, clock);
    this.state = state;
    // One row write per delivery per decision: a delivery admitted and leased at once is inserted
    // in its final state; one that is saved and then finished is written once, finished.
    const saves = new Map<string, Delivery>();
    const finishes = new Map<string, Extract<Effect, { type: "finish" }>>();
    const handOut: Extract<Effect, { type: "grant" }>[] = [];
    const after: Effect[] = [];
    for (const e of effects) {
      if (e.type === "save") saves.set(e.delivery.id, e.delivery);
      else if (e.type === "finish") (saves.delete(e.delivery.id), finishes.set(e.delivery.id, e));
      else if (e.type === "attempt") this.store.appendAttempt(e.deliveryId, e.attempt, e.outcome);
      else if (e.type === "grant") handOut.push(e);
      else after.push(e);
    }
    for (const d of saves.values()) {
      const it = fresh.get(d.id);
      if (it) this.store.insert(d, it.dedupeKey, it.event, clock.now);
      else this.store.update(d, clock.now);
    }
    for (const f of finishes.values()) {
      this.store.update(f.delivery, clock.now, { status: f.status, at: f.at });
      if (f.status === "failed") after.push(f);
    }
    const grants: Grant[] = [];
    for (const g of handOut) {
      const event = fresh.get(g.deliveryId)?.event ?? this.store.event(g.deliveryId); // no read for what was just admitted
      if (event && state.config) grants.push({ leaseId: g.leaseId, deliveryId: g.deliveryId, attempt: g.attempt, hook: state.config, event });
    }
    this.store.saveMeta(state);
    await this.armAlarm(clock.now);
    for (const e of after) await this.sideEffect(e);
    if (state.config?.ephemeral && state.queue.length === 0 && effects.some((e) => e.type === "finish")) await this.retireOneOff();
    return grants;
  }

  private async sideEffect(e: Effect) {
    const hookId = this.state.config?.hookId;
    if (!hookId) return;
    try {
      if (e.type === "release") {
        await this.env.DELIVERIES.send({ kind: "drain", hook_id: hookId, leases: e.leaseIds });
      } else if (e.type === "status") {
        await this.env.DB.prepare(
          `UPDATE hooks SET last_status = ?, last_error = ?, last_delivery_at = ?, failing_since = ? WHERE id = ?`,
        ).bind(e.status, e.error, e.at, e.failingSince, hookId).run();
      } else if (e.type === "disable") {
        await this.env.DB.prepare(
          `UPDATE hooks SET status = 'disabled', disabled_reason = ?, updated_at = ? WHERE id = ? AND status = 'active'`,
        ).bind(e.reason, e.at, hookId).run();
        log("warn", "hook disabled", { hook_id: hookId, reason: e.reason });
        await emitOperational(this.env, this.state.config!.tenantId, "hookline.hook.disabled", `${hookId}:${e.at}`, {
          hook_id: hookId, url: this.state.config!.url, reason: e.reason, disabled_at: new Date(e.at).toISOString(),
        });
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
      // Leases that failed to release expire and are re-released by the alarm; nothing is lost.
      log("error", "endpoint side effect failed", { hook_id: hookId, effect: e.type, error: String(err) });
    }
  }

  /** A one-off target whose last delivery ended: its hook row goes; this object keeps the history. */
  private async retireOneOff() {
    const hookId = this.state.config!.hookId;
    try {
      await this.env.DB.prepare(`DELETE FROM hooks WHERE id = ? AND ephemeral = 1`).bind(hookId).run();
    } catch (err) {
      log("error", "one-off hook not removed", { hook_id: hookId, error: String(err) });
    }
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
    const want = nextWakeAt(this.state, now);
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
