/**
 * Consumer of `hookline-deliveries`: drain jobs released by EndpointDOs (claim → deliver → report)
 * and fan-out chunks for events matching more hooks than one invocation may call.
 */
import { hookMatches } from "../core/filters";
import { newId } from "../core/ids";
import type { DeliveryJob } from "../core/schemas";
import { endpointStub, hooksByIds } from "../db/hooks";
import type { Env } from "../env";
import type { Grant } from "../endpoint/types";
import { HANDSHAKE_RETRY_DELAYS_S, runHandshake } from "../lifecycle/handshake";
import { log } from "../log";
import { Budget, runGrants } from "./drain";
import { admitAll, toAdmitItem } from "./fanout";

export async function handleDeliveriesBatch(batch: MessageBatch<DeliveryJob>, env: Env): Promise<void> {
  const grants: Grant[] = [];
  for (const msg of batch.messages) {
    const job = msg.body;
    try {
      if (job.kind === "drain") {
        grants.push(...(await endpointStub(env.ENDPOINTS, job.hook_id).claim(job.leases)));
        msg.ack();
      } else if (job.kind === "fanout") {
        const rows = (await hooksByIds(env.DB, job.hook_ids)).filter(
          (h) => h.status === "active" && h.enabled && h.tenantId === job.event.tenant_id &&
            hookMatches({ events: h.events, channels: h.channels, filter: (h.filter as never) ?? null }, job.event),
        );
        const item = toAdmitItem(job.event, msg.timestamp.getTime());
        const failed = new Set<string>();
        const work = rows.map((hook) => ({ hook, items: [{ ...item, id: newId("dlv") }], messages: new Set([msg.id]) }));
        grants.push(...(await admitAll(env, work, failed)));
        failed.size ? msg.retry() : msg.ack();
      } else if (job.kind === "validate") {
        const result = await runHandshake(env, job.hook_id, job.token);
        const delay = HANDSHAKE_RETRY_DELAYS_S[msg.attempts - 1];
        if (result === "transient" && delay !== undefined) msg.retry({ delaySeconds: delay });
        else msg.ack();
      } else {
        log("warn", "unknown delivery job dropped to dead-letter", { message_id: msg.id });
        await env.DEAD.send({ reason: "unknown job kind", message_id: msg.id, body: job });
        msg.ack();
      }
    } catch (err) {
      log("error", "delivery job failed, retried", { message_id: msg.id, error: String(err) });
      msg.retry();
    }
  }
  await runGrants(env, grants, new Budget());
}
