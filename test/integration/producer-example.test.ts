import { describe, expect, it } from "vitest";
import producer from "../../examples/producer/src/index";
import { atLeast, boxUrl, createHook, dataOf, newBox, newTenant, testEnv, waitFor } from "../helpers";

describe("examples/producer", () => {
  it("a Worker that sends an EventMessage to the queue gets it delivered", async () => {
    const t = await newTenant();
    const box = newBox("producer");
    await createHook(t, { url: boxUrl(box), events: ["order.*"], order_window_ms: 0 });
    const producerEnv = { HOOKLINE_EVENTS: testEnv.EVENTS as Queue<never>, HOOKLINE_TENANT: t.id };
    const res = await producer.fetch(new Request("http://producer/orders", { method: "POST", body: JSON.stringify({ id: "42", total: 99.5 }) }), producerEnv);
    expect(res.status).toBe(202);
    const log = await waitFor(box, atLeast(1));
    expect(dataOf(log)).toEqual([{ id: "42", total: 99.5 }]);
    expect(log[0]!.headers["webhook-id"]).toBe("order-42-created");
  });
});
