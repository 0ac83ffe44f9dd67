/**
 * Example producer: a Worker that turns its own domain actions into Hookline events by sending
 * `EventMessage`s to the `hookline-events` queue. POST /orders → `order.created` event.
 */
import { EventMessage } from "../../../src/contract";

export interface ProducerEnv {
  HOOKLINE_EVENTS: Queue<EventMessage>;
  HOOKLINE_TENANT: string;
}

let counter = 0;

export default {
  async fetch(request: Request, env: ProducerEnv): Promise<Response> {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/orders") return new Response("not found", { status: 404 });
    const order = (await request.json()) as { id: string; total: number };
    const now = Date.now();
    const message = EventMessage.parse({
      v: 1,
      tenant_id: env.HOOKLINE_TENANT,
      id: `order-${order.id}-created`, // idempotency: a retried send is delivered once
      type: "order.created",
      data: order,
      occurred_at: new Date(now).toISOString(),
      published_at: now,
      index: counter++, // keeps order between two sends in the same millisecond
    });
    await env.HOOKLINE_EVENTS.send(message, { contentType: "json" });
    return Response.json({ queued: message.id }, { status: 202 });
  },
} satisfies ExportedHandler<ProducerEnv>;
