/**
 * Response headers for the HTML pages (issue 15, finding 16): a CSP that allows only this origin's
 * stylesheet and form targets, no framing, no sniffing, no referrer to other sites.
 */
import { createMiddleware } from "hono/factory";

/** The dashboard: no script at all, one stylesheet, forms posting to itself. */
export const DASHBOARD_CSP = [
  "default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join("; ");

export const securityHeaders = (csp: string) =>
  createMiddleware(async (c, next) => {
    await next();
    c.header("content-security-policy", csp);
    c.header("x-frame-options", "DENY");
    c.header("x-content-type-options", "nosniff");
    // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with form posts,
    // and the dashboard's cross-site check (which refuses null) would refuse its own forms
    c.header("referrer-policy", "same-origin");
  });
