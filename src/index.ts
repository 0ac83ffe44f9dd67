/** Wiring only: the Worker's handlers and the Durable Object class. */
import { createApp } from "./api/app";
import type { DeliveryJob } from "./core/schemas";
import type { Env } from "./env";
import { handleDeliveriesBatch } from "./queue/deliveries";
import { handleEventsBatch } from "./queue/fanout";
import { runScheduled } from "./scheduled";

export { EndpointDO } from "./endpoint/endpoint-do";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    if (batch.queue.startsWith("hookline-events")) return handleEventsBatch(batch, env);
    if (batch.queue.startsWith("hookline-deliveries")) return handleDeliveriesBatch(batch as MessageBatch<DeliveryJob>, env);
  },
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(runScheduled(controller.cron, controller.scheduledTime, env));
  },
} satisfies ExportedHandler<Env>;
