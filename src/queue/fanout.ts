/**
 * Fan-out: events from `hookline-events` → matching hooks → each hook's EndpointDO.admit.
 * One D1 read per batch. A message is acked only when every admit for it succeeded; admit is
 * idempotent (dedupe by event id), so a retried batch creates no duplicates.
 */
import { hookMatches } from "../core/filters";
import { newId } from "../core/ids";
import type { OutboundEvent } from "../core/profiles";
import { FANOUT_CHUNK } from "../core/policy";
import { EventMessage, type DeliveryJob } from "../core/schemas";
import { endpointStub, hooksByIds, routableHooks, toHookConfig } from "../db/hooks";
import type { HookRow } from "../db/schema";
import type { Env } from "../env";
import type { AdmitItem, Grant } from "../endpoint/types";
import { log } from "../log";
import { Budget, runGrants } from "./drain";

/** Order key and outbound shape of an event message (each hook's delivery gets its own id). */
export function toAdmitItem(ev: EventMessage, fallbackMs: number): Omit<AdmitItem, "id"> {
  const occurred = typeof ev.occurred_at === "string" ? Date.parse(ev.occurred_at) : ev.occurred_at ?? null;
  const publishedAt = ev.published_at ?? occurred ?? fallbackMs;
  const event: OutboundEvent = {
    id: ev.id,
    type: ev.type,
    timestamp: occurred ?? publishedAt,
    channel: ev.channel ?? null,
    data: ev.data ?? null,
    changed_attributes: ev.changed_attributes ?? null,
    actor: ev.actor ?? null,
    summary: ev.summary ?? null,
  };
  return { dedupeKey: ev.id, eventId: ev.id, publishedAt, index: ev.index ?? 0, event };
}

interface Work {
  hook: HookRow;
  items: AdmitItem[];
  /** queue message ids whose ack depends on this admit */
  messages: Set<string>;
}

export async function handleEventsBatch(batch: MessageBatch<unknown>, env: Env, chunk = FANOUT_CHUNK): Promise<void> {
  const valid: { msg: Message<unknown>; ev: EventMessage }[] = [];
  for (const msg of batch.messages) {
    const parsed = EventMessage.safeParse(msg.body);
    if (parsed.success) valid.push({ msg, ev: parsed.data });
    else await deadLetter(env, msg, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  if (valid.length === 0) return;

  let hooks: HookRow[];
  let targets: Map<string, HookRow>;
  try {
    const routed = valid.filter((v) => !v.ev.target_hook_id);
    const targetIds = valid.flatMap((v) => (v.ev.target_hook_id ? [v.ev.target_hook_id] : []));
    hooks = routed.length ? await routableHooks(env.DB, [...new Set(routed.map((v) => v.ev.tenant_id))]) : [];
    targets = new Map((targetIds.length ? await hooksByIds(env.DB, targetIds) : []).map((h) => [h.id, h]));
  } catch (err) {
    log("error", "fan-out: D1 read failed, batch retried", { error: String(err) });
    for (const { msg } of valid) msg.retry();
    return;
  }
  const byTenant = Map.groupBy(hooks, (h) => h.tenantId);

  const work = new Map<string, Work>();
  const failed = new Set<string>();
  const offload: DeliveryJob[] = [];
  for (const { msg, ev } of valid) {
    // A one-off target gets the event instead of the subscriptions (Idfy's advanced.webhook).
    const target = ev.target_hook_id ? targets.get(ev.target_hook_id) : undefined;
    const matched = ev.target_hook_id
      ? target && target.tenantId === ev.tenant_id ? [target] : []
      : (byTenant.get(ev.tenant_id) ?? []).filter((h) =>
          hookMatches({ events: h.events, channels: h.channels, filter: (h.filter as never) ?? null }, ev),
        );
    const item = toAdmitItem(ev, msg.timestamp.getTime());
    const spill: string[] = [];
    for (const hook of matched) {
      let w = work.get(hook.id);
      if (!w && work.size >= chunk) {
        // Past what one invocation may call: this hook gets the event through a fan-out chunk.
        spill.push(hook.id);
        continue;
      }
      if (!w) work.set(hook.id, (w = { hook, items: [], messages: new Set() }));
      w.items.push({ ...item, id: newId("dlv") });
      w.messages.add(msg.id);
    }
    offload.push(...chunks(ev, spill, chunk));
  }

  for (const job of offload) {
    try {
      await env.DELIVERIES.send(job);
    } catch (err) {
      log("error", "fan-out: chunk send failed", { error: String(err) });
      const ev = job.kind === "fanout" ? job.event : null;
      for (const v of valid) if (ev && v.ev.id === ev.id) failed.add(v.msg.id);
    }
  }

  const grants = await admitAll(env, [...work.values()], failed);
  for (const { msg } of valid) (failed.has(msg.id) ? msg.retry() : msg.ack());
  await runGrants(env, grants, new Budget());
}

/** Admit every hook's items, a bounded number at a time; failures mark their messages. */
export async function admitAll(env: Env, work: Work[], failed: Set<string>, concurrency = 50): Promise<Grant[]> {
  const grants: Grant[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const w = work[next++]!;
      try {
        const res = await endpointStub(env.ENDPOINTS, w.hook.id).admit(toHookConfig(w.hook), w.items, w.items.length);
        grants.push(...res.grants);
      } catch (err) {
        log("error", "admit failed", { hook_id: w.hook.id, error: String(err) });
        for (const m of w.messages) failed.add(m);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  return grants;
}

function chunks(event: EventMessage, hookIds: string[], size: number): DeliveryJob[] {
  const out: DeliveryJob[] = [];
  for (let i = 0; i < hookIds.length; i += size) out.push({ kind: "fanout", event, hook_ids: hookIds.slice(i, i + size) });
  return out;
}

async function deadLetter(env: Env, msg: Message<unknown>, reason: string) {
  log("warn", "invalid event message sent to dead-letter queue", { message_id: msg.id, reason });
  try {
    await env.DEAD.send({ reason, message_id: msg.id, body: msg.body });
    msg.ack();
  } catch (err) {
    log("error", "dead-letter send failed", { message_id: msg.id, error: String(err) });
    msg.retry();
  }
}
