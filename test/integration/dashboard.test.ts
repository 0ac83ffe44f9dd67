import { describe, expect, it } from "vitest";
import { atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, script, waitFor } from "../helpers";

async function signIn(key: string): Promise<string> {
  const res = await call("/dashboard/login", { raw: new URLSearchParams({ key }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, method: "POST" });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!;
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Strict/i);
  expect(cookie).not.toMatch(/Max-Age|Expires/i); // session only
  expect(cookie).not.toContain(key);
  return cookie.split(";")[0]!;
}

describe("dashboard", () => {
  it("needs a valid key; shows ✔ ❕ ❌ with the last error on hover; escapes what it renders", async () => {
    const t = await newTenant();
    expect((await call("/dashboard")).headers.get("location")).toBe("/dashboard/login");
    const bad = await call("/dashboard/login", { raw: "key=hk_nope", headers: { "content-type": "application/x-www-form-urlencoded" }, method: "POST" });
    expect(bad.status).toBe(401);

    const ok = newBox("ok");
    const ko = newBox("ko");
    await script(ko, [], { status: 500 });
    const good = await createHook(t, { url: boxUrl(ok), description: "good <b>one</b>", order_window_ms: 0 });
    const failing = await createHook(t, { url: boxUrl(ko), description: "<script>alert(1)</script>", retry_schedule: [0], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(newBox("idle")), description: "idle", events: ["never"] });
    await publish(t, { type: "x" });
    await waitFor(ok, atLeast(1));
    await waitFor(ko, atLeast(1));
    const last = async (id: string) => (await json(call(`/v1/hooks/${id}`, { key: t.key }))).last_delivery.status;
    await expect.poll(() => last(good.id)).toBe("succeeded");
    await expect.poll(() => last(failing.id)).toBe("failed");

    const cookie = await signIn(t.key);
    const html = await (await call("/dashboard", { headers: { cookie } })).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("good &lt;b&gt;one&lt;/b&gt;");
    expect(html).toMatch(/data-status="succeeded"[^>]*>✔/);
    expect(html).toMatch(/title="Last request failed: HTTP 500"[^>]*data-status="failed"[^>]*>❌/);
    expect(html).toMatch(/data-status="none"[^>]*>❕/);
    expect(html).not.toMatch(/whsec_/);
  });

  it("refuses a cross-site form post", async () => {
    const t = await newTenant();
    const hook = await createHook(t, { url: boxUrl(newBox("x")) });
    const cookie = await signIn(t.key);
    const res = await call(`/dashboard/hooks/${hook.id}/deactivate`, { method: "POST", headers: { cookie, origin: "https://evil.example" } });
    expect(res.status).toBe(403);
  });
});
