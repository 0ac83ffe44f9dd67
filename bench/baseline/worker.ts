/**
 * E2E baseline: the same queue, consumed without Durable Objects or D1. Each message is signed
 * (Standard Webhooks, like Hookline's default) and POSTed to every target in TARGETS; a failed
 * message is retried by the queue. What Hookline adds on top — routing from D1, per-hook ordering,
 * leases, history — is what the ratio against this baseline measures.
 */
import { standard } from "../../src/core/profiles/standard";

interface BaselineEnv {
  EVENTS: Queue<{ id: string; type: string; data: unknown; published_at: number }>;
  TARGETS: string;
  SECRET: string;
}

let sequence = 0;

export default {
  async fetch(request: Request, env: BaselineEnv): Promise<Response> {
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const body = (await request.json()) as { type: string; data?: unknown };
    const now = Date.now();
    await env.EVENTS.send({ id: `base-${now}-${sequence++}`, type: body.type, data: body.data ?? null, published_at: now }, { contentType: "json" });
    return Response.json({ status: "queued" }, { status: 202 });
  },
  async queue(batch: MessageBatch<{ id: string; type: string; data: unknown; published_at: number }>, env: BaselineEnv) {
    const targets = env.TARGETS.split(",").filter(Boolean);
    await Promise.all(
      batch.messages.map(async (msg) => {
        const ev = { id: msg.body.id, type: msg.body.type, timestamp: msg.body.published_at, data: msg.body.data };
        const body = standard.envelope(ev, { id: "baseline", url: "", events: [], publicUrl: "" });
        const now = Date.now();
        const sig = await standard.sign([env.SECRET], body, ev, now);
        const results = await Promise.all(
          targets.map((url) =>
            fetch(url, {
              method: "POST", body, redirect: "manual", signal: AbortSignal.timeout(15_000),
              headers: { "content-type": "application/json", "webhook-id": ev.id, "webhook-timestamp": String(Math.floor(now / 1000)), ...sig },
            }).then((r) => r.ok, () => false),
          ),
        );
        if (results.every(Boolean)) msg.ack();
        else msg.retry();
      }),
    );
  },
} satisfies ExportedHandler<BaselineEnv>;
