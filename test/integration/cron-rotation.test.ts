import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hooks } from "../../src/db/schema";
import { forEachHookInTurn } from "../../src/scheduled/rotation";
import { createHook, newTenant, testEnv } from "../helpers";

describe("cron jobs visit hooks in turn", () => {
  it("successive runs take successive windows, so every hook is visited within ceil(n / per) runs", async () => {
    const t = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createHook(t, { url: "http://127.0.0.1:9/x", events: ["never.*"] })).id);
    const mine = eq(hooks.tenantId, t.id);
    const seen: string[][] = [];
    for (let run = 0; run < 3; run++) {
      const visited: string[] = [];
      await forEachHookInTurn(testEnv, mine, run * 1000, 1000, 2, async (_stub, id) => (visited.push(id), 1));
      seen.push(visited);
    }
    expect(seen.map((v) => v.length)).toEqual([2, 2, 1]);
    expect(seen.flat().sort()).toEqual([...ids].sort());
  });
});
