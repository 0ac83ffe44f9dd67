/**
 * Response headers for the HTML pages (issue 15, finding 16): a CSP that allows only this origin's
 * stylesheet and form targets, no framing, no sniffing, no referrer.
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
    c.header("referrer-policy", "no-referrer");
  });
