/**
 * /docs: Swagger UI for /openapi.json. Its code comes from jsDelivr pinned to one release, each file
 * with subresource integrity (the browser refuses a file whose bytes changed), and the start-up
 * script is served from here, so the CSP needs no inline script (issue 15, finding 16). To move to
 * another release: `npm pack swagger-ui-dist@<v>`, then `openssl dgst -sha384 -binary <file> | base64`
 * for each file below.
 */
import { Hono } from "hono";
import { securityHeaders } from "./security-headers";

const CDN = "https://cdn.jsdelivr.net";
export const SWAGGER_UI_VERSION = "5.35.0";
const ASSETS = {
  js: { url: `${CDN}/npm/swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`, integrity: "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9" },
  css: { url: `${CDN}/npm/swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui.css`, integrity: "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I" },
};

/** Swagger UI sets element styles at run time, so styles (only) may be inline. */
const DOCS_CSP = [
  "default-src 'none'", `script-src 'self' ${CDN}`, `style-src 'self' ${CDN} 'unsafe-inline'`, `img-src 'self' data: ${CDN}`,
  "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
].join("; ");

const INIT = `window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.url, dom_id: "#swagger-ui" });
});
`;

const docs = new Hono();
docs.use("*", securityHeaders(DOCS_CSP));
docs.get("/init.js", (c) => c.body(INIT, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" }));
docs.get("/", (c) =>
  c.html(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Hookline API</title>
        <meta name="description" content="Hookline API reference (Swagger UI)" />
        <link rel="stylesheet" href={ASSETS.css.url} integrity={ASSETS.css.integrity} crossorigin="anonymous" />
      </head>
      <body>
        <div id="swagger-ui" data-url="/openapi.json"></div>
        <script src={ASSETS.js.url} integrity={ASSETS.js.integrity} crossorigin="anonymous"></script>
        <script src="/docs/init.js"></script>
      </body>
    </html>,
  ),
);

export default docs;
