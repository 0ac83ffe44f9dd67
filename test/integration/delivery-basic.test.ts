import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { atLeast, boxUrl, createHook, newBox, newTenant, publish, waitFor } from "../helpers";

describe("delivery", () => {
  it("delivers a published event signed so that the standardwebhooks package verifies it", async () => {
    const t = await newTenant();
    const box = newBox();
    const hook = await createHook(t, { url: boxUrl(box), events: ["order.*"], order_window_ms: 0 });
    expect(hook.secret).toMatch(/^whsec_/);
    const { id } = await publish(t, { type: "order.created", data: { n: 1, name: "Golden Nugget 🌻" } });
    const [req] = await waitFor(box, atLeast(1));
    expect(req!.headers["webhook-id"]).toBe(id);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["user-agent"]).toMatch(/^Hookline\//);
    const payload = new Webhook(hook.secret).verify(req!.body, req!.headers) as any;
    expect(payload).toMatchObject({ type: "order.created", data: { n: 1, name: "Golden Nugget 🌻" } });
    expect(() => new Webhook(hook.secret).verify(req!.body.replace("1", "2"), req!.headers)).toThrow();
  });
});
