/**
 * Consumer of `hookline-deliveries`: drain jobs released by EndpointDOs (claim → deliver → report)
 * and fan-out chunks for events matching more hooks than one invocation may call (or one hook's
 * share split off a message because its admit failed: see fanout.ts). A job that fails on its last
 * attempt goes to hookline-dead with the reason.
 */
import { hookMatches } from "../core/filters";
import { newId } from "../core/ids";
import type { DeliveryJob } from "../core/schemas";
import { endpointStub, isRoutable, routedHooksByIds, toHookConfig } from "../db/hooks";
import type { Env } from "../env";
import type { Grant } from "../endpoint/types";
import { HANDSHAKE_RETRY_DELAYS_S, runHandshake } from "../lifecycle/handshake";
import { log } from "../log";
import { Budget, runGrants } from "./drain";
import { deadLetter, errorText, retryOrDeadLetter } from "./dead-letters";
import { admitAll, splitShare, toAdmitItem } from "./fanout";

export async function handleDeliveriesBatch(batch: MessageBatch<DeliveryJob>, env: Env): Promise<void> {
  const grants: Grant[] = [];
  for (const msg of batch.messages) {
    const job = msg.body;
    try {
      if (job.kind === "drain") {
        grants.push(...(await endpointStub(env.ENDPOINTS, job.hook_id).claim(job.leases)));
        msg.ack();
      } else if (job.kind === "fanout") {
        const rows = (await routedHooksByIds(env.DB, job.hook_ids)).filter(
          (h) => isRoutable(h) && h.tenantId === job.event.tenant_id &&
            hookMatches({ events: h.events, channels: h.channels, filter: (h.filter as never) ?? null }, job.event),
        );
        const item = toAdmitItem(job.event, msg.timestamp.getTime());
        const work = rows.map((h) => ({
          hookId: h.id, config: toHookConfig(h), items: [{ ...item, id: newId("dlv") }], events: new Map([[msg.id, job.event]]),
        }));
        const { grants: granted, failures } = await admitAll(env, work);
        grants.push(...granted);
        if (failures.length === 0) msg.ack();
        else if (failures.length === work.length) {
          // Every hook of this job failed: the job itself retries (a one-hook job is already that hook's share).
          await retryOrDeadLetter(env, msg, `admit failed for ${failures.map((f) => f.work.hookId).join(", ")}: ${failures[0]!.error}`);
        } else {
          // Some hooks failed: their shares go on as their own jobs, the others' are done.
          let why: string | null = null;
          for (const f of failures) why = (await splitShare(env, job.event, f.work.hookId, f.error)) ?? why;
          if (why) await retryOrDeadLetter(env, msg, why);
          else msg.ack();
        }
      } else if (job.kind === "validate") {
        const result = await runHandshake(env, job.hook_id, job.token);
        const delay = HANDSHAKE_RETRY_DELAYS_S[msg.attempts - 1];
        if (result === "transient" && delay !== undefined) msg.retry({ delaySeconds: delay });
        else msg.ack();
      } else {
        await deadLetter(env, msg, "unknown job kind");
      }
    } catch (err) {
      log("error", "delivery job failed, retried", { message_id: msg.id, kind: job?.kind, error: errorText(err) });
      await retryOrDeadLetter(env, msg, `${job?.kind ?? "unknown"} job failed: ${errorText(err)}`);
    }
  }
  await runGrants(env, grants, new Budget());
}
