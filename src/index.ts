/** Wiring only: the Worker's handlers and the Durable Object class. */
import { createApp } from "./api/app";
import type { DeliveryJob } from "./core/schemas";
import type { Env } from "./env";
import { handleDeadBatch } from "./queue/dead-letters";
import { handleDeliveriesBatch } from "./queue/deliveries";
import { handleEventsBatch } from "./queue/fanout";
import { count, instrument, queueUnits } from "./metrics";
import { runScheduled } from "./scheduled";

export { EndpointDO } from "./endpoint/endpoint-do";

const app = createApp();

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, instrument(env), ctx),
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    count("queue.messages_consumed", batch.messages.length);
    for (const m of batch.messages) count("queue.billed_consumed", queueUnits(m.body)); // each is read, then deleted
    if (batch.queue.startsWith("hookline-events")) return handleEventsBatch(batch, instrument(env));
    if (batch.queue.startsWith("hookline-deliveries")) return handleDeliveriesBatch(batch as MessageBatch<DeliveryJob>, instrument(env));
    if (batch.queue.startsWith("hookline-dead")) return handleDeadBatch(batch, instrument(env));
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(runScheduled(controller.cron, controller.scheduledTime, instrument(env)));
  },
} satisfies ExportedHandler<Env>;
