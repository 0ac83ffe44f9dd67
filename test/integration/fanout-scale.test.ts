import { describe, expect, it } from "vitest";
import { FANOUT_CHUNK } from "../../src/core/policy";
import { boxUrl, call, newBox, newTenant, publish, waitFor } from "../helpers";

const HOOKS = 1500;

describe("fan-out at scale", () => {
  it(`one event to ${HOOKS} hooks reaches all ${HOOKS} (split into chunks of ${FANOUT_CHUNK})`, async () => {
    const t = await newTenant();
    const box = newBox("fan");
    for (let i = 0; i < HOOKS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, HOOKS - i) }, async (_, k) => {
          const res = await call("/v1/hooks", { key: t.key, body: { url: boxUrl(box, `h${i + k}`), events: ["fan.out"], order_window_ms: 0 } });
          expect(res.status).toBe(201);
        }),
      );
    }
    const { id } = await publish(t, { type: "fan.out", data: { hello: "everyone" } });
    const log = await waitFor(box, (l) => l.length >= HOOKS, 120_000);
    const paths = new Set(log.map((r) => r.path));
    expect(paths.size).toBe(HOOKS);
    expect(log.length).toBe(HOOKS);
    expect(log.every((r) => r.headers["webhook-id"] === id)).toBe(true);
  }, 180_000);
});
