/**
 * The browser tests (dashboard-browser, portal-browser) skip themselves where Chromium is missing,
 * so that `npm test` works on a fresh machine. CI must not skip them: .ci/run installs Chromium and
 * sets HOOKLINE_BROWSER=required, and then a missing Chromium fails here instead of passing quietly.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHROMIUM } from "./chromium";

describe("browser tests", () => {
  it.runIf(process.env.HOOKLINE_BROWSER === "required")("have Chromium where they are required (CI)", () => {
    expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: the browser tests would be skipped`).toBe(true);
  });
});
