/** Debian's Chromium for the browser tests (playwright-core), launched the way this machine allows. */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether Chromium is installed; warns with `name` when it is not (the test is then skipped). */
export function hasChromium(name: string): boolean {
  const found = existsSync(CHROMIUM);
  if (!found) console.warn(`[${name}] skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return found;
}

/** Headless, without the background networking a closed network refuses. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
