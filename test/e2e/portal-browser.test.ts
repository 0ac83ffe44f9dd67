/**
 * The consumer portal in Chromium (playwright-core, Debian's chromium) against wrangler dev, with the
 * scripted receiver on 127.0.0.1: a session for one channel, a hook made in the browser, a test
 * delivery seen ✔, a failure seen ❌ with its error, a resend after the fix, the chart's counts, no
 * sideways scrolling at 360 px, labels and keyboard use. Refreshes docs/portal*.png.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { hasChromium, launchChromium } from "./chromium";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, box, boxUrl, ok, receiver, script, seen, tenant, until } from "./client";

const browserHere = hasChromium("portal-browser");

const docs = (name: string) => join(process.cwd(), "docs", name);
const posts = async (b: string) => (await seen(b)).filter((r) => r.method === "POST");

/** Whether the page scrolls sideways: the document's width against the viewport's. */
const overflow = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
/** Form controls no label names (hidden inputs aside). */
const unlabelled = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
    .filter((e) => (e as HTMLInputElement).type !== "hidden" && !((e as HTMLInputElement).labels?.length || e.getAttribute("aria-label")))
    .map((e) => e.id || e.outerHTML.slice(0, 60)));

describe.skipIf(!browserHere)("consumer portal in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("creates a hook for channel A, sees ✔, sees ❌ with the error, resends after the fix, and charts 2 succeeded and 1 failed", async () => {
    const t = await tenant("portal-browser");
    await ok(api("/v1/event-types", { key: t.key, body: { name: "invoice.paid", description: "An invoice was paid in full" } }));
    await ok(api("/v1/event-types", { key: t.key, body: { name: "invoice.voided", description: "An invoice was cancelled" } }));
    const other = await ok(api("/v1/hooks", { key: t.key, body: { url: boxUrl(box("otherch")), description: "Channel B's hook", channels: ["acme-us"] } }));
    const s = await ok(api("/v1/portal/sessions", {
      key: t.key, body: { channel: "acme-eu", branding: { name: "Acme Cloud", accent_color: "#7c3aed" }, return_url: "https://app.acme.example/settings" },
    }));
    const target = box("portal");

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(s.url);
    await expect(page.title()).resolves.toBe("Webhooks for acme-eu · Acme Cloud");
    await expect(page.locator(`tr[data-hook="${other.id}"]`).count()).resolves.toBe(0);

    // keyboard: focus the link and press Enter
    await page.focus('a:has-text("New hook")');
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/hooks\/new$/);
    await expect(unlabelled(page)).resolves.toEqual([]);
    await expect(page.locator("text=An invoice was paid in full").count()).resolves.toBe(1);

    // a bad URL is explained next to its field
    await page.fill("#url", "ftp://example.com/x");
    await page.click('button:has-text("Create hook")');
    await page.waitForLoadState("load");
    await expect(page.locator("#url-error").textContent()).resolves.toMatch(/\S/);
    await expect(page.getAttribute("#url", "aria-invalid")).resolves.toBe("true");

    await page.fill("#url", boxUrl(target));
    await page.fill("#description", "Acme EU billing");
    await page.check('label:has-text("invoice.paid") input');
    await page.fill("#retry_schedule", "0");
    await page.click('button:has-text("Create hook")');
    const secret = await page.locator("[data-secret]").textContent();
    expect(secret).toMatch(/^whsec_/);
    await page.click('a:has-text("Continue to the hook")');
    const hookId = /hooks\/(hook_[0-9A-Z]+)/.exec(page.url())![1]!;
    expect((await ok(api(`/v1/hooks/${hookId}`, { key: t.key }))).channels).toEqual(["acme-eu"]);

    const icon = page.locator("h2 .icon");
    const iconIs = (status: string) =>
      until(async () => {
        await page.reload();
        return icon.getAttribute("data-status");
      }, (v) => v === status, 30_000, `icon ${status}`);

    await page.click('button:has-text("Send test event")');
    await expect(page.locator(".flash").textContent()).resolves.toBe("Test event queued.");
    await until(() => posts(target), (l) => l.length >= 1, 30_000, "test delivery");
    await iconIs("succeeded");
    await expect(icon.textContent()).resolves.toBe("✔");

    await script(target, [], { status: 500, body: "maintenance window" });
    await page.click('button:has-text("Send test event")');
    await until(() => posts(target), (l) => l.length >= 2, 30_000, "failing delivery");
    await iconIs("failed");
    await expect(icon.textContent()).resolves.toBe("❌");
    await icon.hover();
    await expect(icon.getAttribute("title")).resolves.toBe("Last request failed: HTTP 500");
    await expect(page.locator("[data-last-error]").textContent()).resolves.toBe("Last request failed: HTTP 500");

    // the inspector shows what was sent and what came back
    await page.click('tr:has(td[data-status="failed"]) a:has-text("hookline.ping")');
    await expect(page.locator("[data-response-body]").first().textContent()).resolves.toBe("maintenance window");
    await expect(page.locator("[data-request-headers]").first().textContent()).resolves.toContain("webhook-signature: v1,********");
    expect(await page.content()).not.toContain(secret!);
    await page.goBack();

    await script(target, [], { status: 200 });
    await page.click('tr:has(td[data-status="failed"]) button:has-text("Resend")');
    await page.waitForURL(/done=resent/);
    await until(() => posts(target), (l) => l.length >= 3, 30_000, "resent delivery");
    await iconIs("succeeded");

    await until(async () => {
      await page.reload();
      return [await page.getAttribute("[data-succeeded]", "data-succeeded"), await page.getAttribute("[data-failed]", "data-failed")].join();
    }, (v) => v === "2,1", 30_000, "chart counts");
    await expect(page.locator('svg.chart g[data-ok="2"][data-failed="1"]').count()).resolves.toBe(1);

    mkdirSync(join(process.cwd(), "docs"), { recursive: true });
    await page.screenshot({ path: docs("portal.png"), fullPage: true });

    await page.setViewportSize({ width: 360, height: 740 });
    for (const path of ["", `/hooks/${hookId}`, `/hooks/${hookId}?range=7d`, "/hooks/new", `/hooks/${hookId}/edit`]) {
      await page.goto(s.url + path);
      const o = await overflow(page);
      expect(o.scroll, `${path || "/"} at 360 px`).toBeLessThanOrEqual(o.viewport);
    }
    await page.goto(`${s.url}/hooks/${hookId}`);
    await page.screenshot({ path: docs("portal-360.png"), fullPage: true });
    const firstDelivery = await page.locator("tr[data-delivery] a").first().getAttribute("href");
    await page.goto(new URL(firstDelivery!, s.url).toString());
    const o = await overflow(page);
    expect(o.scroll, "inspector at 360 px").toBeLessThanOrEqual(o.viewport);

    // the page is the channel's only: channel B's hook is not found from here
    const res = await page.goto(`${s.url}/hooks/${other.id}`);
    expect(res!.status()).toBe(404);
    await page.close();
  });

  it("is framed by an allowed origin and refused by any other", async () => {
    const t = await tenant("portal-frame");
    const s = await ok(api("/v1/portal/sessions", { key: t.key, body: { channel: "acme-eu" } }));
    // The tenant's app: a page on the receiver (127.0.0.1) that puts the portal in an iframe. The
    // same page under http://localhost:<port> is another origin, which the setting does not list.
    const app = box("hostpage");
    await script(app, [], { status: 200, headers: { "content-type": "text/html" }, body: `<!doctype html><title>host</title><iframe id="f" src="${s.url}" width="800" height="600"></iframe>` });
    const allowed = receiver();
    const other = allowed.replace("127.0.0.1", "localhost");
    await ok(api("/v1/portal/settings", { key: t.key, method: "PUT", body: { allowed_origins: [allowed] } }));
    const page = await browser.newPage();
    const portalTitle = async () => {
      const f = page.frames().find((fr) => fr !== page.mainFrame() && fr.url().startsWith(s.url));
      return f ? await f.title().catch(() => "") : "";
    };
    await page.goto(`${allowed}/${app}/`);
    await until(portalTitle, (v) => v.includes("Webhooks"), 15_000, "portal in the allowed frame");
    await page.goto(`${other}/${app}/`);
    await page.waitForLoadState("load");
    // the frame's load ends in Chromium's error page: nothing of the portal renders
    await expect(page.frameLocator("#f").locator("header").count()).resolves.toBe(0);
    expect(await portalTitle()).not.toContain("Webhooks");
    await page.close();
  });
});
