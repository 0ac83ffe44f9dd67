/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against wrangler dev.
 * Skipped, with a message, where chromium is not installed (.ci/run installs it).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { hasChromium, launchChromium } from "./chromium";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, base, box, boxUrl, ok, script, seen, tenant, until } from "./client";

const browserHere = hasChromium("dashboard-browser");

describe.skipIf(!browserHere)("dashboard in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("signs in, shows a ✔ hook and a ❌ hook with its error on hover, opens a history, resends and sees the new attempt", async () => {
    const t = await tenant("browser");
    const good = box("good");
    const bad = box("bad");
    await script(bad, [], { status: 500, body: "database is down" });
    const okHook = await ok(api("/v1/hooks", { key: t.key, body: { url: boxUrl(good), description: "Billing sync", order_window_ms: 0 } }));
    await ok(api("/v1/hooks", { key: t.key, body: { url: boxUrl(bad), description: "CRM import", retry_schedule: [0], order_window_ms: 0 } }));
    await ok(api("/v1/events", { key: t.key, body: { type: "invoice.paid", data: { invoice: "INV-1001", amount: 250 } } }));
    await until(() => seen(good), (l) => l.length >= 1, 30_000, "first delivery");
    await until(() => seen(bad), (l) => l.length >= 1, 30_000, "failing delivery");
    await until(async () => (await ok(api(`/v1/hooks?limit=10`, { key: t.key }))).data.map((h: any) => h.last_delivery.status).sort().join(), (v) => v === "failed,succeeded", 30_000, "last status");

    const page = await browser.newPage({ viewport: { width: 1200, height: 720 } });
    await page.goto(`${base()}/dashboard`);
    expect(page.url()).toContain("/dashboard/login");
    await page.fill("#key", t.key);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base()}/dashboard`);

    const okIcon = page.locator(`tr[data-hook="${okHook.id}"] .icon`);
    await expect(okIcon.textContent()).resolves.toBe("✔");
    const badIcon = page.locator('tr:has-text("CRM import") .icon');
    await expect(badIcon.textContent()).resolves.toBe("❌");
    await badIcon.hover();
    await expect(badIcon.getAttribute("title")).resolves.toBe("Last request failed: HTTP 500");
    mkdirSync(join(process.cwd(), "docs"), { recursive: true });
    await page.screenshot({ path: join(process.cwd(), "docs", "dashboard.png") });

    await page.click(`a[href="/dashboard/hooks/${okHook.id}"]`);
    await page.waitForURL(`**/dashboard/hooks/${okHook.id}`);
    const rows = page.locator("tr[data-delivery]");
    await expect(rows.count()).resolves.toBe(1);
    await page.locator("tr[data-delivery] details summary").first().click();
    await expect(page.locator("tr[data-attempt]").count()).resolves.toBe(1);

    await page.click('tr[data-delivery] button:has-text("Resend")');
    await page.waitForURL(/done=resent/);
    await expect(page.locator(".flash").textContent()).resolves.toBe("Resent.");
    await until(() => seen(good), (l) => l.length >= 2, 30_000, "resent delivery");
    // the new delivery and its attempt show up in the history
    await until(async () => {
      await page.reload();
      return page.locator('tr[data-delivery] td[data-status="succeeded"]').count();
    }, (n) => n === 2, 30_000, "resend in history");
    await page.locator("tr[data-delivery] details summary").first().click();
    await expect(page.locator("tr[data-delivery]").first().locator("tr[data-attempt]").count()).resolves.toBe(1);
    await page.screenshot({ path: join(process.cwd(), "docs", "dashboard-history.png"), fullPage: true });
    await page.close();
  });

  it("creates a hook with its form and fits 360 px with no sideways scrolling on every page", async () => {
    const t = await tenant("browser-narrow");
    await ok(api("/v1/event-types", { key: t.key, body: { name: "invoice.paid", description: "An invoice was paid in full" } }));
    const target = box("narrow");
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    const fits = async (what: string) => {
      const o = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
      expect(o.scroll, `${what} at 360 px`).toBeLessThanOrEqual(o.viewport);
    };
    await page.goto(`${base()}/dashboard/login`);
    await page.fill("#key", t.key);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base()}/dashboard`);
    await page.click('a:has-text("New hook")');
    await page.waitForURL(/\/hooks\/new$/);
    await fits("new hook form");
    await page.fill("#url", "not a url");
    await page.click('button:has-text("Create hook")');
    await page.waitForLoadState("load");
    await expect(page.locator("#url-error").count()).resolves.toBe(1);
    await fits("form with messages");
    await page.fill("#url", boxUrl(target, "a-rather-long-path/that/would/otherwise/push/the/table/wider/than/a/phone"));
    await page.check('label:has-text("invoice.paid") input');
    await page.click('button:has-text("Create hook")');
    await expect(page.locator("[data-secret]").textContent()).resolves.toMatch(/^whsec_/);
    await page.click('a:has-text("Continue to the hook")');
    await page.click('button:has-text("Send test event")');
    await until(() => seen(target), (l) => l.length >= 1, 30_000, "test delivery");
    await until(async () => {
      await page.reload();
      return page.getAttribute("[data-succeeded]", "data-succeeded");
    }, (v) => v === "1", 30_000, "chart count");
    await fits("hook page");
    await page.screenshot({ path: join(process.cwd(), "docs", "dashboard-360.png"), fullPage: true });
    await page.click("tr[data-delivery] a");
    await page.waitForURL(/\/deliveries\/dlv_/);
    await fits("attempt inspector");
    await page.goto(`${base()}/dashboard`);
    await fits("hook list");
    await page.close();
  });
});
