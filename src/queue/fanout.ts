/**
 * Fan-out: events from `hookline-events` → matching hooks → each hook's EndpointDO.admit.
 *
 * Tenants are isolated from each other: each tenant's messages are routed by their own D1 reads
 * (routing columns only, a page at a time), so a tenant with many or large hooks, or whose read
 * fails, retries only its own messages while the others are admitted, acked and delivered.
 * Hooks are isolated too: a hook whose admit fails gets its share of the event split into its own
 * `fanout` job on hookline-deliveries (with its own retries, then hookline-dead), and the message
 * is acked for everyone else. Admit is idempotent (dedupe by event id), so a retried message or a
 * redriven job creates no duplicates.
 */
import { hookMatches } from "../core/filters";
import { newId } from "../core/ids";
import type { OutboundEvent } from "../core/profiles";
import { FANOUT_CHUNK, FANOUT_TENANT_CONCURRENCY, ROUTING_PAGE, WINDOW_FILL } from "../core/policy";
import { EventMessage, EventPack, type DeliveryJob } from "../core/schemas";
import { endpointStub, hookConfigsByIds, routableHooksPage, routedHooksByIds, toHookConfig } from "../db/hooks";
import type { Env } from "../env";
import type { AdmitItem, Grant, HookConfig } from "../endpoint/types";
import { log } from "../log";
import { deadLetter, errorText, retryOrDeadLetter } from "./dead-letters";
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

/** One hook's admits in this invocation. */
export interface Work {
  hookId: string;
  config: HookConfig;
  items: AdmitItem[];
  /** each item's event, by the queue message it came from (for splitting the share off) */
  events: Map<string, EventMessage>;
}

interface Valid {
  msg: Message<unknown>;
  ev: EventMessage;
  /** The event's key in this invocation: the message id, or `id#i` for the i-th event of a pack. */
  key: string;
}

/** Hooks this invocation may still admit; past it, hooks get the event through fan-out chunks. */
interface Slots {
  left: number;
}

export async function handleEventsBatch(batch: MessageBatch<unknown>, env: Env, chunk = FANOUT_CHUNK): Promise<void> {
  const valid: Valid[] = [];
  for (const msg of batch.messages) {
    // A batch publish packs its events into as few messages as fit (EventPack): billed per 64 KB.
    const pack = EventPack.safeParse(msg.body);
    if (pack.success) {
      pack.data.pack.forEach((ev, i) => valid.push({ msg, ev, key: `${msg.id}#${i}` }));
      continue;
    }
    const parsed = EventMessage.safeParse(msg.body);
    if (parsed.success) valid.push({ msg, ev: parsed.data, key: msg.id });
    else await deadLetter(env, msg, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  if (valid.length === 0) return;

  const byTenant = [...Map.groupBy(valid, (v) => v.ev.tenant_id).entries()];
  const slots: Slots = { left: chunk };
  const budget = new Budget();
  const drains: Promise<void>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < byTenant.length) {
      const [tenantId, msgs] = byTenant[next++]!;
      // Admits are held (EndpointDO.admit): a message is settled once its grants are reported.
      drains.push((async () => {
        const { failed, messagesOf, lost } = await fanOutTenant(env, tenantId, msgs, slots, chunk, budget);
        for (const hookId of lost) {
          for (const id of messagesOf.get(hookId) ?? []) if (!failed.has(id)) failed.set(id, "a delivery's outcome could not be recorded");
        }
        // a message is acked when every event it carries is settled, else retried whole (admit is idempotent)
        for (const [msg, entries] of Map.groupBy(msgs, (v) => v.msg)) {
          const reason = entries.map((v) => failed.get(v.key)).find((r) => r !== undefined);
          if (reason === undefined) msg.ack();
          else await retryOrDeadLetter(env, msg, reason);
        }
      })());
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT_TENANT_CONCURRENCY, byTenant.length) }, worker));
  await Promise.all(drains);
}

/**
 * One tenant's messages: route (routing columns, a page at a time), admit up to the invocation's
 * slots, spill the rest into chunks, split failing hooks' shares off. Returns the grants and the
 * messages that must be retried, with why.
 */
async function fanOutTenant(
  env: Env, tenantId: string, msgs: Valid[], slots: Slots, chunk: number, budget: Budget,
): Promise<{ failed: Map<string, string>; messagesOf: Map<string, string[]>; lost: Set<string> }> {
  const lost = new Set<string>();
  const failed = new Map<string, string>();
  const messagesOf = new Map<string, string[]>();
  let matched: Map<string, string[]>;
  try {
    matched = await route(env, tenantId, msgs);
  } catch (err) {
    log("error", "fan-out: routing read failed, this tenant's messages retried", { tenant_id: tenantId, messages: msgs.length, error: errorText(err) });
    for (const { key } of msgs) failed.set(key, `routing read failed: ${errorText(err)}`);
    return { failed, messagesOf, lost };
  }

  const work = new Map<string, { items: AdmitItem[]; events: Map<string, EventMessage> }>();
  const offload: { key: string; job: DeliveryJob }[] = [];
  for (const { msg, ev, key } of msgs) {
    const item = toAdmitItem(ev, msg.timestamp.getTime());
    const spill: string[] = [];
    for (const hookId of matched.get(key) ?? []) {
      let w = work.get(hookId);
      if (!w && slots.left <= 0) {
        // Past what one invocation may call: this hook gets the event through a fan-out chunk.
        spill.push(hookId);
        continue;
      }
      if (!w) {
        slots.left--;
        work.set(hookId, (w = { items: [], events: new Map() }));
      }
      w.items.push({ ...item, id: newId("dlv") });
      w.events.set(key, { ...ev, published_at: item.publishedAt });
    }
    // the event's publish time travels with it, so every path derives the same delivery ids
    const stamped = { ...ev, published_at: item.publishedAt };
    for (let i = 0; i < spill.length; i += chunk) offload.push({ key, job: { kind: "fanout", event: stamped, hook_ids: spill.slice(i, i + chunk) } });
  }

  for (const { key, job } of offload) {
    try {
      await env.DELIVERIES.send(job);
    } catch (err) {
      log("error", "fan-out: chunk send failed, message retried", { tenant_id: tenantId, message_id: key, error: errorText(err) });
      failed.set(key, `fan-out chunk send failed: ${errorText(err)}`);
    }
  }
  if (work.size === 0) return { failed, messagesOf, lost };

  let configs: Map<string, HookConfig>;
  try {
    configs = new Map((await hookConfigsByIds(env.DB, [...work.keys()])).map((r) => [r.id, toHookConfig(r)]));
  } catch (err) {
    log("error", "fan-out: hook config read failed, this tenant's messages retried", { tenant_id: tenantId, error: errorText(err) });
    for (const w of work.values()) for (const id of w.events.keys()) failed.set(id, `hook config read failed: ${errorText(err)}`);
    return { failed, messagesOf, lost };
  }
  // A hook deleted between the two reads has nothing to admit.
  const ready: Work[] = [];
  for (const [hookId, w] of work) {
    const config = configs.get(hookId);
    if (config) ready.push({ hookId, config, ...w });
  }
  for (const w of ready) messagesOf.set(w.hookId, [...w.events.keys()]);
  const failures = await admitAndDeliver(env, ready, budget, lost);
  for (const { work: w, error } of failures) {
    for (const [msgId, ev] of w.events) {
      const why = await splitShare(env, ev, w.hookId, error);
      if (why) failed.set(msgId, why);
    }
  }
  return { failed, messagesOf, lost };
}

/** Which routable hooks of the tenant each message goes to (by message id). */
async function route(env: Env, tenantId: string, msgs: Valid[]): Promise<Map<string, string[]>> {
  const matched = new Map<string, string[]>(msgs.map(({ key }) => [key, []]));
  // A one-off target gets the event instead of the subscriptions (Idfy's advanced.webhook).
  const targeted = msgs.filter((v) => v.ev.target_hook_id);
  if (targeted.length) {
    const targets = new Map((await routedHooksByIds(env.DB, [...new Set(targeted.map((v) => v.ev.target_hook_id!))])).map((h) => [h.id, h]));
    for (const { key, ev } of targeted) {
      const t = targets.get(ev.target_hook_id!);
      if (t && t.tenantId === tenantId) matched.get(key)!.push(t.id);
    }
  }
  const routed = msgs.filter((v) => !v.ev.target_hook_id);
  if (routed.length === 0) return matched;
  for (let after: string | null = null; ;) {
    const page = await routableHooksPage(env.DB, tenantId, after, ROUTING_PAGE);
    for (const h of page) {
      const sub = { events: h.events, channels: h.channels, filter: (h.filter as never) ?? null };
      for (const { key, ev } of routed) if (hookMatches(sub, ev)) matched.get(key)!.push(h.id);
    }
    if (page.length < ROUTING_PAGE) return matched;
    after = page[page.length - 1]!.id;
  }
}

/**
 * A hook whose admit failed gets the event as its own `fanout` job, so only that share retries
 * (with its own retry count, then hookline-dead) and the message is acked for every other hook.
 * Returns why the message itself must be retried instead (the job could not be sent), or null.
 */
export async function splitShare(env: Env, event: EventMessage, hookId: string, error: string): Promise<string | null> {
  try {
    await env.DELIVERIES.send({ kind: "fanout", event, hook_ids: [hookId] });
    log("warn", "admit failed: the hook's share split into its own fan-out job", { hook_id: hookId, event_id: event.id, tenant_id: event.tenant_id, error });
    return null;
  } catch (err) {
    log("error", "admit failed and its split job could not be sent: message retried", { hook_id: hookId, event_id: event.id, error: errorText(err) });
    return `admit failed (${error}) and the split job could not be sent: ${errorText(err)}`;
  }
}

/**
 * Per hook, admit its items a window's worth at a time, held (EndpointDO.admit: nothing is written
 * for a delivery that succeeds while its message is held), and deliver what each admit grants
 * before admitting the next — so a big batch never spills out of the object's window into
 * writes. Hooks proceed concurrently, a bounded number at a time. Returns the hooks whose admit
 * failed, with the error; adds to `lost` the hooks whose outcomes could not be reported.
 */
export async function admitAndDeliver(env: Env, work: Work[], budget: Budget, lost: Set<string>, concurrency = 50): Promise<{ work: Work; error: string }[]> {
  const failures: { work: Work; error: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const w = work[next++]!;
      const stub = endpointStub(env.ENDPOINTS, w.hookId);
      for (let i = 0; i < w.items.length; i += WINDOW_FILL) {
        const part = w.items.slice(i, i + WINDOW_FILL);
        let grants: Grant[];
        const want = budget.take(part.length);
        try {
          grants = (await stub.admit(w.config, part, want, true)).grants;
          budget.refund(want - grants.length);
        } catch (err) {
          log("error", "admit failed", { hook_id: w.hookId, tenant_id: w.config.tenantId, error: errorText(err) });
          failures.push({ work: w, error: errorText(err) });
          break;
        }
        if (grants.length && (await runGrants(env, grants, budget)).size) {
          lost.add(w.hookId);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  return failures;
}

/** Admit every hook's items, a bounded number at a time; failing hooks are returned with the error. */
export async function admitAll(env: Env, work: Work[], concurrency = 50): Promise<{ grants: Grant[]; failures: { work: Work; error: string }[] }> {
  const grants: Grant[] = [];
  const failures: { work: Work; error: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const w = work[next++]!;
      try {
        const res = await endpointStub(env.ENDPOINTS, w.hookId).admit(w.config, w.items, w.items.length);
        grants.push(...res.grants);
      } catch (err) {
        log("error", "admit failed", { hook_id: w.hookId, tenant_id: w.config.tenantId, error: errorText(err) });
        failures.push({ work: w, error: errorText(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  return { grants, failures };
}
