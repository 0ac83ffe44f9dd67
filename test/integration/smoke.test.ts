import { describe, expect, it } from "vitest";
import { call, newTenant } from "../helpers";

describe("smoke", () => {
  it("lists hooks with a key and refuses without one", async () => {
    const t = await newTenant();
    expect((await call("/v1/hooks")).status).toBe(401);
    const res = await call("/v1/hooks", { key: t.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [], next_cursor: null });
  });
});
