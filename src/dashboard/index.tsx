/**
 * /dashboard: sign in with an API key, see hooks with their last status (✔ ❕ ❌, error on hover),
 * a hook's delivery history with attempts, and resend / test / activate / deactivate.
 *
 * Signing in needs `webhook:manage` or `deliveries:read`: the pages show every hook's URL and last
 * error. The session cookie (HttpOnly, SameSite=Strict, no Max-Age: gone when the browser closes)
 * holds a sealed claim {key id, expiry ≤ 12 h} under the dashboard-session key — never the API key —
 * and every request re-reads that key, so revoking it ends its sessions (issue 15, findings 4, 8).
 * Every form post, sign-in included, must come from this origin, and bodies are capped at
 * DASHBOARD_BODY_BYTES (finding 10). Pages carry a strict CSP, load only /dashboard/app.css, and
 * show fixed flash messages chosen by code (finding 16).
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { openClaims, sealClaims } from "../core/crypto";
import { isId } from "../core/ids";
import type { Scope } from "../core/schemas";
import type { HookRow } from "../db/schema";
import { endpointStub, listHooks, toHookOut } from "../db/hooks";
import { AppError } from "../errors";
import { activateHook, deactivateHook, hookOr404 as findHook, resendDelivery, sendTestPing } from "../api/hook-service";
import { admit, authenticateKey, authenticateKeyId, holdsAny } from "../api/middleware/auth";
import type { AppEnv } from "../api/types";
import { DASHBOARD_CSP, securityHeaders } from "./security-headers";
import { CSS, HookList, HookPage, Login } from "./views";

const COOKIE = "hookline_session";
/** A session ends 12 hours after sign-in at the latest, whatever the browser keeps. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Sign-in and button forms are a few hundred bytes. */
export const DASHBOARD_BODY_BYTES = 16 * 1024;
/** The scopes that may see the dashboard (it shows hook URLs, errors and delivery history). */
const DASHBOARD_SCOPES: Scope[] = ["webhook:manage", "deliveries:read"];

/** The messages a redirect may ask for, by code: nothing from the URL is ever rendered. */
const FLASH = {
  "test-queued": "Test event queued.",
  activated: "Hook activated.",
  deactivated: "Hook deactivated; its queue is kept.",
  resent: "Resent.",
} as const;
type FlashCode = keyof typeof FLASH;
const flashOf = (c: Context<AppEnv>) => {
  const code = c.req.query("done") ?? "";
  return Object.hasOwn(FLASH, code) ? FLASH[code as FlashCode] : undefined;
};

const dash = new Hono<AppEnv>();

dash.use("*", securityHeaders(DASHBOARD_CSP));
dash.use("*", bodyLimit({
  maxSize: DASHBOARD_BODY_BYTES,
  onError: () => { throw new AppError(413, "payload-too-large", "Payload too large", `Dashboard forms are limited to ${DASHBOARD_BODY_BYTES} bytes.`); },
}));
// Another site must not post a form here: not the buttons, and not sign-in either (login CSRF would
// sign the victim into the attacker's tenant, where what they do next is seen by the attacker).
dash.use("*", async (c, next) => {
  if (c.req.method === "POST") {
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if ((origin !== undefined && origin !== new URL(c.req.url).origin) || (site !== undefined && site !== "same-origin" && site !== "none")) {
      throw new AppError(403, "forbidden", "Forbidden", "Cross-site form post refused.");
    }
  }
  await next();
});

dash.get("/app.css", (c) => c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" }));

dash.get("/login", (c) => c.html(<Login />));

dash.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const key = typeof form.key === "string" ? form.key.trim() : "";
  const who = await authenticateKey(c, key);
  if (!who) return c.html(<Login error="That API key is not valid." />, 401);
  if (!holdsAny(who, DASHBOARD_SCOPES)) {
    return c.html(<Login error="This API key lacks the webhook:manage or deliveries:read scope the dashboard needs." />, 403);
  }
  const session = await sealClaims(c.env.ENCRYPTION_KEY, "dashboard-session", { kid: who.keyId }, Date.now() + SESSION_TTL_MS);
  setCookie(c, COOKIE, session, {
    httpOnly: true, sameSite: "Strict", path: "/dashboard", secure: new URL(c.req.url).protocol === "https:",
  });
  return c.redirect("/dashboard", 303);
});

dash.post("/logout", (c) => {
  deleteCookie(c, COOKIE, { path: "/dashboard" });
  return c.redirect("/dashboard/login", 303);
});

// Everything below needs a live session.
dash.use("*", async (c, next) => {
  const sealed = getCookie(c, COOKIE);
  const claims = sealed ? await openClaims<{ kid: unknown }>(c.env.ENCRYPTION_KEY, "dashboard-session", sealed, Date.now(), SESSION_TTL_MS) : null;
  const who = claims && typeof claims.kid === "string" ? await authenticateKeyId(c, claims.kid) : null;
  if (!who || !holdsAny(who, DASHBOARD_SCOPES)) return c.redirect("/dashboard/login", 303);
  admit(c, who, DASHBOARD_SCOPES);
  await next();
});

const can = (c: { get(k: "scopes"): string[] }, scope: string) => c.get("scopes").includes(scope);

dash.get("/", async (c) => {
  const rows = await listHooks(c.env.DB, c.get("tenantId"), undefined, 200);
  return c.html(<HookList hooks={rows.map(toHookOut)} flash={flashOf(c)} />);
});

async function hookOr404(c: { env: AppEnv["Bindings"]; get(k: "tenantId"): string }, id: string) {
  if (!isId("hook", id)) throw new AppError(404, "not-found", "Not found", "No such hook.");
  return findHook(c.env, c.get("tenantId"), id);
}

dash.get("/hooks/:id", async (c) => {
  const row = await hookOr404(c, c.req.param("id"));
  const stub = endpointStub(c.env.ENDPOINTS, row.id);
  const page = await stub.listDeliveries({ limit: 50 });
  const deliveries = await Promise.all(
    page.map(async ({ cursor: _c, ...d }) => ({ delivery: d, attempts: (await stub.getDelivery(d.id))?.attempts ?? [] })),
  );
  return c.html(<HookPage hook={toHookOut(row)} deliveries={deliveries} flash={flashOf(c)} canManage={can(c, "webhook:manage")} />);
});

function requireManage(c: { get(k: "scopes"): string[] }) {
  if (!can(c, "webhook:manage")) throw new AppError(403, "forbidden", "Forbidden", "This API key lacks the webhook:manage scope.");
}

/** A button on the hook page: needs webhook:manage, acts on the hook, returns to its page with a message. */
function action(path: string, done: FlashCode, act: (c: Context<AppEnv>, row: HookRow) => Promise<unknown>) {
  dash.post(`/hooks/:id${path}`, async (c) => {
    requireManage(c);
    const row = await hookOr404(c, c.req.param("id"));
    await act(c, row);
    return c.redirect(`/dashboard/hooks/${row.id}?done=${done}`, 303);
  });
}

action("/test", "test-queued", (c, row) => sendTestPing(c.env, row));
action("/activate", "activated", (c, row) => activateHook(c.env, row, row.status === "expired" ? null : undefined));
action("/deactivate", "deactivated", (c, row) => deactivateHook(c.env, row));
action("/deliveries/:d/resend", "resent", async (c, row) => {
  const d = c.req.param("d") ?? "";
  if (!isId("dlv", d) || !(await resendDelivery(c.env, row, d))) throw new AppError(404, "not-found", "Not found", "No such delivery.");
});

export default dash;
