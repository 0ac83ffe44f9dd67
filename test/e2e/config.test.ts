/**
 * Issue 15, finding 5: what a plain `wrangler deploy` ships is production-safe; development values
 * live only in .dev.vars (never deployed), which `npm start` writes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const configPath = join(root, "wrangler.toml");
const read = (env?: string) => unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
const envNames = Object.keys((experimental_readRawConfig({ config: configPath }).rawConfig as { env?: Record<string, unknown> }).env ?? {});

function expectProductionSafe(vars: Record<string, unknown>, where: string) {
  expect(vars.ALLOW_PRIVATE_TARGETS, where).toBe("false");
  const url = new URL(String(vars.PUBLIC_URL));
  expect(url.protocol, where).toBe("https:");
  expect(url.hostname, where).not.toMatch(/^(localhost|127\.|0\.0\.0\.0|\[::1\])/);
}

describe("deployment config (wrangler.toml)", () => {
  it("the top level, which a plain `wrangler deploy` uses, is production-safe", () => {
    const top = read();
    expectProductionSafe(top.vars, "top level");
  });

  it("every environment is production-safe, and environments sharing the Worker's name carry the same vars", () => {
    const top = read();
    for (const env of envNames) {
      const cfg = read(env);
      expectProductionSafe(cfg.vars, `[env.${env}]`);
      if (cfg.name === top.name) expect(cfg.vars, `[env.${env}] is the same Worker as the top level`).toEqual(top.vars);
    }
  });

  it("keeps development values in .dev.vars: the example and `npm start` write them, .gitignore keeps them out", () => {
    const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
    expect(example).toMatch(/^ALLOW_PRIVATE_TARGETS=true$/m);
    expect(example).toMatch(/^PUBLIC_URL=http:\/\/localhost:8787$/m);
    const start = readFileSync(join(root, "scripts", "start.mjs"), "utf8");
    expect(start).toMatch(/ALLOW_PRIVATE_TARGETS/);
    expect(start).toMatch(/PUBLIC_URL/);
    expect(readFileSync(join(root, ".gitignore"), "utf8")).toMatch(/^\.dev\.vars$/m);
  });
});
