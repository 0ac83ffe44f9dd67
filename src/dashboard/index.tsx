/**
 * /dashboard: sign in with an API key, then the console (./console): hooks with their last status
 * (✔ ❕ ❌, error on hover), create and edit forms, per-hook charts, delivery history with filters,
 * pages and the attempt inspector, and resend / test / activate / deactivate / rotate / delete.
 *
 * Signing in needs `webhook:manage` or `deliveries:read`: the pages show every hook's URL and last
 * error; changing anything needs `webhook:manage`. The session cookie (HttpOnly, SameSite=Strict, no
 * Max-Age: gone when the browser closes) holds a sealed claim {key id, expiry ≤ 12 h} under the
 * dashboard-session key — never the API key — and every request re-reads that key, so revoking it
 * ends its sessions (issue 15, findings 4, 8). Every form post, sign-in included, must come from
 * this origin, and bodies are capped at DASHBOARD_BODY_BYTES (finding 10). Pages carry a strict CSP,
 * load only /dashboard/app.css, and show fixed flash messages chosen by code (finding 16).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { openClaims, sealClaims } from "../core/crypto";
import type { Scope } from "../core/schemas";
import { AppError } from "../errors";
import { admit, authenticateKey, authenticateKeyId, holdsAny } from "../api/middleware/auth";
import { consoleRoutes, type ConsoleEnv } from "./console/routes";
import { DASHBOARD_CSP, securityHeaders } from "./security-headers";
import { CSS, Login } from "./views";

const COOKIE = "hookline_session";
/** A session ends 12 hours after sign-in at the latest, whatever the browser keeps. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Sign-in, button and hook forms are a few KiB at most. */
export const DASHBOARD_BODY_BYTES = 16 * 1024;
/** The scopes that may see the dashboard (it shows hook URLs, errors and delivery history). */
const DASHBOARD_SCOPES: Scope[] = ["webhook:manage", "deliveries:read"];

const dash = new Hono<ConsoleEnv>();

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
  const who = await authenticateKey(c as never, key);
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
  const who = claims && typeof claims.kid === "string" ? await authenticateKeyId(c as never, claims.kid) : null;
  if (!who || !holdsAny(who, DASHBOARD_SCOPES)) return c.redirect("/dashboard/login", 303);
  admit(c as never, who, DASHBOARD_SCOPES);
  const manage = who.scopes.includes("webhook:manage");
  c.set("console", {
    kind: "dashboard", base: "/dashboard", tenantId: who.tenantId, channel: null, canManage: manage, canDeliver: manage,
    brand: "Hookline", returnUrl: null, stylesheets: ["/dashboard/app.css"],
  });
  await next();
});

dash.route("/", consoleRoutes());

export default dash;
