/**
 * /portal/<token>: the consumer portal (issue 18). A tenant mints the link (POST /v1/portal/sessions)
 * for one of its customers; the page is the same console as the dashboard, scoped to the hooks whose
 * channels are exactly [channel], narrowed by the session's capabilities, branded, and embeddable
 * only by the tenant's allowed origins.
 *
 * The token travels in the path, so the page works in an iframe where third-party cookies are
 * blocked, and a form post without it (CSRF) names no session. Form posts must also come from this
 * origin (the iframe's document is ours, so embedding does not change that). Pages are never cached
 * and send no referrer: the link is the credential.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { AppError } from "../errors";
import { consoleRoutes, type ConsoleEnv } from "../dashboard/console/routes";
import { CSS, DASHBOARD_FRAME, Page } from "../dashboard/views";
import { frameAncestors, openSession, type PortalSession } from "./sessions";

/** Hook forms and buttons are a few KiB at most. */
export const PORTAL_BODY_BYTES = 16 * 1024;

/** No script, this origin's stylesheets, forms posting to itself; framing only by `ancestors`. */
export const portalCsp = (ancestors: string[]) =>
  ["default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", `frame-ancestors ${frameAncestors(ancestors)}`, "base-uri 'none'"].join("; ");

const headers = (ancestors: string[]) =>
  createMiddleware(async (c, next) => {
    await next();
    c.header("content-security-policy", portalCsp(ancestors));
    // X-Frame-Options cannot list origins: it is sent only when nobody may frame the page.
    if (!ancestors.length) c.header("x-frame-options", "DENY");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "no-store");
  });

function Refused() {
  return (
    <Page title="Link not valid" frame={{ ...DASHBOARD_FRAME, home: "#", signOut: undefined }}>
      <h2>This link is not valid</h2>
      <p>It has expired, was revoked, or was changed. Ask for a new link where you found this one.</p>
    </Page>
  );
}

const portal = new Hono<ConsoleEnv & { Variables: { portal: PortalSession } }>();

portal.get("/app.css", (c) => c.body(CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" }));

portal.use("/:token/*", async (c, next) => {
  const session = await openSession(c.env, c.req.param("token") ?? "");
  if (!session) {
    await headers([])(c, async () => {
      c.res = await c.html(<Refused />, 401);
    });
    return c.res;
  }
  c.set("portal", session);
  await headers(session.allowedOrigins)(c, next);
});

portal.use("/:token/*", bodyLimit({
  maxSize: PORTAL_BODY_BYTES,
  onError: () => { throw new AppError(413, "payload-too-large", "Payload too large", `Portal forms are limited to ${PORTAL_BODY_BYTES} bytes.`); },
}));

/**
 * A form post must come from this origin: a page elsewhere cannot drive the portal, token or not.
 * The page's referrer policy is no-referrer, under which browsers send `Origin: null` on form
 * posts, even same-origin ones (Fetch, "append a request Origin header"); such a post is taken only
 * when the browser's own Sec-Fetch-Site says it is same-origin.
 */
export function sameOriginPost(headers: { origin?: string; site?: string }, ours: string): boolean {
  const { origin, site } = headers;
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  if (origin === "null") return site === "same-origin";
  return origin === undefined || origin === ours;
}

portal.use("/:token/*", async (c, next) => {
  if (c.req.method === "POST" && !sameOriginPost({ origin: c.req.header("origin"), site: c.req.header("sec-fetch-site") }, new URL(c.req.url).origin)) {
    throw new AppError(403, "forbidden", "Forbidden", "Cross-site form post refused.");
  }
  await next();
});

portal.get("/:token/brand.css", (c) => {
  const accent = c.get("portal").branding?.accent_color;
  return c.body(accent ? `:root{--accent:${accent}}\n` : "", 200, { "content-type": "text/css; charset=utf-8" });
});

portal.use("/:token/*", async (c, next) => {
  const s = c.get("portal");
  const token = c.req.param("token")!;
  c.set("tenantId", s.tenantId);
  c.set("console", {
    kind: "portal", base: `/portal/${token}`, tenantId: s.tenantId, channel: s.channel,
    canManage: s.capabilities.includes("manage"), canDeliver: s.capabilities.includes("deliver"),
    brand: s.branding?.name ?? "Webhooks", returnUrl: s.returnUrl,
    stylesheets: ["/portal/app.css", ...(s.branding?.accent_color ? [`/portal/${token}/brand.css`] : [])],
  });
  await next();
});

portal.route("/:token", consoleRoutes());

export default portal;
