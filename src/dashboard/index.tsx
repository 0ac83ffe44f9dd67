/**
 * /dashboard: sign in with an API key, see hooks with their last status (✔ ❕ ❌, error on hover),
 * a hook's delivery history with attempts, and resend / test / activate / deactivate.
 *
 * The key is kept in a session cookie (no expiry: gone when the browser session ends), HttpOnly,
 * SameSite=Strict, sealed with ENCRYPTION_KEY so the cookie is not the key itself. Form posts also
 * check Origin, so another site cannot drive the buttons.
 */
import { Hono, type Context } from "hono";
import type { HookRow } from "../db/schema";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { decryptSecret, encryptSecret } from "../core/crypto";
import { isId } from "../core/ids";
import { endpointStub, listHooks, toHookOut } from "../db/hooks";
import { AppError } from "../errors";
import { activateHook, deactivateHook, hookOr404 as findHook, resendDelivery, sendTestPing } from "../api/hook-service";
import { admit, authenticateKey } from "../api/middleware/auth";
import type { AppEnv } from "../api/types";
import { HookList, HookPage, Login } from "./views";

const COOKIE = "hookline_session";
const dash = new Hono<AppEnv>();

dash.get("/login", (c) => c.html(<Login />));

dash.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const key = typeof form.key === "string" ? form.key.trim() : "";
  const who = await authenticateKey(c, key);
  if (!who) return c.html(<Login error="That API key is not valid." />, 401);
  setCookie(c, COOKIE, await encryptSecret(c.env.ENCRYPTION_KEY, key), {
    httpOnly: true, sameSite: "Strict", path: "/dashboard", secure: new URL(c.req.url).protocol === "https:",
  });
  return c.redirect("/dashboard", 303);
});

dash.post("/logout", (c) => {
  deleteCookie(c, COOKIE, { path: "/dashboard" });
  return c.redirect("/dashboard/login", 303);
});

// Everything below needs a signed-in session.
dash.use("*", async (c, next) => {
  if (c.req.method === "POST") {
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin) throw new AppError(403, "forbidden", "Forbidden", "Cross-site form post refused.");
  }
  const sealed = getCookie(c, COOKIE);
  const key = sealed ? await decryptSecret(c.env.ENCRYPTION_KEY, sealed).catch(() => null) : null;
  const who = await authenticateKey(c, key);
  if (!who) return c.redirect("/dashboard/login", 303);
  admit(c, who, []);
  await next();
});

const can = (c: { get(k: "scopes"): string[] }, scope: string) => c.get("scopes").includes(scope);

dash.get("/", async (c) => {
  const rows = await listHooks(c.env.DB, c.get("tenantId"), undefined, 200);
  return c.html(<HookList hooks={rows.map(toHookOut)} flash={c.req.query("done")} />);
});

async function hookOr404(c: { env: AppEnv["Bindings"]; get(k: "tenantId"): string }, id: string) {
  if (!isId("hook", id)) throw new AppError(404, "not-found", "Not found", "No such hook.");
  return findHook(c.env, c.get("tenantId"), id);
}

dash.get("/hooks/:id", async (c) => {
  const row = await hookOr404(c, c.req.param("id"));
  const stub = endpointStub(c.env.ENDPOINTS, row.id);
  const page = can(c, "deliveries:read") || can(c, "webhook:manage") ? await stub.listDeliveries({ limit: 50 }) : [];
  const deliveries = await Promise.all(
    page.map(async ({ cursor: _c, ...d }) => ({ delivery: d, attempts: (await stub.getDelivery(d.id))?.attempts ?? [] })),
  );
  return c.html(<HookPage hook={toHookOut(row)} deliveries={deliveries} flash={c.req.query("done")} canManage={can(c, "webhook:manage")} />);
});

function requireManage(c: { get(k: "scopes"): string[] }) {
  if (!can(c, "webhook:manage")) throw new AppError(403, "forbidden", "Forbidden", "This API key lacks the webhook:manage scope.");
}

/** A button on the hook page: needs webhook:manage, acts on the hook, returns to its page with a message. */
function action(path: string, done: string, act: (c: Context<AppEnv>, row: HookRow) => Promise<unknown>) {
  dash.post(`/hooks/:id${path}`, async (c) => {
    requireManage(c);
    const row = await hookOr404(c, c.req.param("id"));
    await act(c, row);
    return c.redirect(`/dashboard/hooks/${row.id}?done=${encodeURIComponent(done)}`, 303);
  });
}

action("/test", "Test event queued.", (c, row) => sendTestPing(c.env, row));
action("/activate", "Hook activated.", (c, row) => activateHook(c.env, row, row.status === "expired" ? null : undefined));
action("/deactivate", "Hook deactivated; its queue is kept.", (c, row) => deactivateHook(c.env, row));
action("/deliveries/:d/resend", "Resent.", async (c, row) => {
  const d = c.req.param("d") ?? "";
  if (!isId("dlv", d) || !(await resendDelivery(c.env, row, d))) throw new AppError(404, "not-found", "Not found", "No such delivery.");
});

export default dash;
