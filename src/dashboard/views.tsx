/** Server-rendered page frame, sign-in and status icon (Hono JSX escapes every value it renders). */
import type { Child } from "hono/jsx";
import type { HookOut } from "../core/schemas";

/**
 * The stylesheet of the dashboard and the portal, served at /dashboard/app.css and /portal/app.css
 * (the CSP allows no inline style). Tables turn into stacked cards below 640 px, long ids and URLs
 * wrap, and the chart scales: nothing scrolls sideways at 360 px. `--accent` is the portal's
 * branding colour (its brand.css sets it).
 */
export const CSS = `
:root{--accent:#2456d3}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;border-bottom:3px solid var(--accent)}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin:0 0 0 auto}header .muted{color:#c5cad3}
main{max-width:1100px;margin:1rem auto;padding:0 1rem}
h2{overflow-wrap:anywhere;margin:.6rem 0}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0001}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e8eaee;vertical-align:top}
th{font-size:12px;text-transform:uppercase;color:#556}
td{overflow-wrap:anywhere}
.icon{font-size:18px;cursor:help;font-family:"Noto Color Emoji","Apple Color Emoji","Segoe UI Emoji",system-ui}
.icon[data-status=succeeded]{color:#1a7f37}.icon[data-status=failed]{color:#cf222e}.icon[data-status=none]{color:#6e7781}
.muted{color:#5c6470}.mono{font-family:ui-monospace,monospace;font-size:12px;overflow-wrap:anywhere}
a{color:var(--accent)}
button,.button{font:inherit;padding:.35rem .75rem;border:1px solid #99a;border-radius:4px;background:#fff;color:#1d2330;cursor:pointer;text-decoration:none;display:inline-block}
button.primary,.button.primary{background:var(--accent);color:#fff;border-color:var(--accent)}
button.danger{color:#a40e26;border-color:#a40e26}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.flash{background:#e7f5ea;border:1px solid #9bd3a8;padding:.5rem .8rem;margin:0 0 1rem}
.error{background:#fdecec;border-color:#e5a3a3}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.8rem 0;align-items:center}.actions form{margin:0}
details summary{cursor:pointer}.attempts td{font-size:12px}
.login{max-width:420px;margin:4rem auto;background:#fff;padding:1.5rem;box-shadow:0 1px 3px #0002}
.login input{width:100%;padding:.5rem;margin:.5rem 0 1rem;font-family:ui-monospace,monospace}
form.hook{background:#fff;padding:1rem;box-shadow:0 1px 2px #0001;max-width:760px}
.field{margin:0 0 1rem}.field>label,.field>legend{display:block;font-weight:600;margin:0 0 .25rem}
.field input[type=text],.field input[type=url],.field input[type=datetime-local],.field textarea,.field select{width:100%;padding:.45rem;font:inherit;border:1px solid #99a;border-radius:4px}
.field textarea{font-family:ui-monospace,monospace;min-height:4rem}
fieldset.field{border:1px solid #d5d9e0;border-radius:4px;padding:.5rem .8rem}
.check{display:flex;gap:.5rem;align-items:flex-start;margin:.2rem 0}.check span{overflow-wrap:anywhere}
.hint{color:#5c6470;font-size:12px;margin:.2rem 0 0}
.field-error{color:#a40e26;font-weight:600;margin:.25rem 0 0}
[aria-invalid=true]{border-color:#a40e26!important}
.secret{background:#fff8e1;border:1px solid #e0c36a;padding:1rem;overflow-wrap:anywhere}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0}.filters label{display:block;font-size:12px;color:#556}
.filters select,.filters input{font:inherit;padding:.3rem;border:1px solid #99a;border-radius:4px;max-width:100%}
.pager{display:flex;gap:1rem;margin:.6rem 0}
.chart-box{background:#fff;padding:.8rem;box-shadow:0 1px 2px #0001;margin:1rem 0}
.chart-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem}.chart-head h3{margin:0}
.tabs{display:flex;gap:.5rem}.tabs a{padding:.15rem .5rem;border:1px solid #99a;border-radius:4px;text-decoration:none}
.tabs a[aria-current=page]{background:var(--accent);color:#fff;border-color:var(--accent)}
.chart{width:100%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:.3rem .6rem;align-items:center;font-size:13px}
.key{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}.key.ok{background:#1a7f37}.key.bad{background:#cf222e}.key.p50{background:#2456d3}.key.p99{background:#d97706}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f2f5;padding:.6rem;font-size:12px;margin:.3rem 0}
.inspect h4{margin:.6rem 0 .2rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:640px){
  table.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.rows,table.rows tbody,table.rows tr,table.rows td{display:block;width:100%}
  table.rows tr{border-bottom:2px solid #d5d9e0}table.rows td{border:0;padding:.25rem .6rem}
  table.rows td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#556}
  main{padding:0 .5rem}
}
`;

export interface Frame {
  /** the header's title and link target */
  brand: string;
  home: string;
  stylesheets: string[];
  /** dashboard: a sign-out button; portal: a link back to the tenant's app */
  signOut?: string;
  returnUrl?: string | null;
}

export const DASHBOARD_FRAME: Frame = { brand: "Hookline", home: "/dashboard", stylesheets: ["/dashboard/app.css"], signOut: "/dashboard/logout" };

export function Page(props: { title: string; frame: Frame; children: Child }) {
  const f = props.frame;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · {f.brand}</title>
        {f.stylesheets.map((href) => <link rel="stylesheet" href={href} />)}
      </head>
      <body>
        <header>
          <a href={f.home}>{f.brand}</a>
          <span class="muted">{props.title}</span>
          {f.signOut && (
            <form method="post" action={f.signOut}>
              <button type="submit">Sign out</button>
            </form>
          )}
          {f.returnUrl && <a href={f.returnUrl} target="_top" class="back">← Back</a>}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export function Login(props: { error?: string }) {
  return (
    <Page title="Sign in" frame={{ ...DASHBOARD_FRAME, signOut: undefined }}>
      <form class="login" method="post" action="/dashboard/login">
        <h2>Sign in</h2>
        {props.error && <p class="flash error" role="alert">{props.error}</p>}
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="off" placeholder="hk_…" required />
        <p class="muted">Kept for this browser session only.</p>
        <button class="primary" type="submit">Sign in</button>
      </form>
    </Page>
  );
}

export function StatusIcon(props: { hook: HookOut }) {
  const last = props.hook.last_delivery;
  const text =
    last.status === "none" ? "No requests sent yet" : last.status === "succeeded" ? `Last request succeeded${last.at ? ` at ${last.at}` : ""}` : `Last request failed: ${last.error ?? "unknown error"}`;
  return (
    <span class="icon" title={text} data-status={last.status} aria-label={text} role="img" tabindex={0}>
      {last.icon}
    </span>
  );
}
