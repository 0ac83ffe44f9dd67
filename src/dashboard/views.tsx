/** Server-rendered dashboard views (Hono JSX escapes every value it renders). */
import type { Child } from "hono/jsx";
import type { HookOut } from "../core/schemas";
import type { AttemptRecord, DeliveryRecord } from "../endpoint/store";

/** The dashboard's stylesheet, served at /dashboard/app.css (the CSP allows no inline style). */
export const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.7rem 1.2rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}header form{margin-left:auto}
main{max-width:1100px;margin:1.2rem auto;padding:0 1rem}
table{width:100%;border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0001}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e8eaee;vertical-align:top}
th{font-size:12px;text-transform:uppercase;color:#667}
.icon{font-size:18px;cursor:help;font-family:"Noto Color Emoji","Apple Color Emoji","Segoe UI Emoji",system-ui}
.icon[data-status=succeeded]{color:#1a7f37}.icon[data-status=failed]{color:#cf222e}.icon[data-status=none]{color:#8c959f}.muted{color:#778}.mono{font-family:ui-monospace,monospace;font-size:12px}
button{font:inherit;padding:.3rem .7rem;border:1px solid #bbc;border-radius:4px;background:#fff;cursor:pointer}
button.primary{background:#2456d3;color:#fff;border-color:#2456d3}
.flash{background:#e7f5ea;border:1px solid #9bd3a8;padding:.5rem .8rem;margin-bottom:1rem}
.error{background:#fdecec;border-color:#e5a3a3}
.actions{display:flex;gap:.5rem;margin:.8rem 0}.actions form{margin:0}
details summary{cursor:pointer}.attempts td{font-size:12px}
.login{max-width:420px;margin:4rem auto;background:#fff;padding:1.5rem;box-shadow:0 1px 3px #0002}
.login input{width:100%;padding:.5rem;margin:.5rem 0 1rem;box-sizing:border-box;font-family:ui-monospace,monospace}
`;

export function Page(props: { title: string; signedIn: boolean; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Hookline</title>
        <link rel="stylesheet" href="/dashboard/app.css" />
      </head>
      <body>
        <header>
          <a href="/dashboard">Hookline</a>
          <span class="muted">{props.title}</span>
          {props.signedIn && (
            <form method="post" action="/dashboard/logout">
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export function Login(props: { error?: string }) {
  return (
    <Page title="Sign in" signedIn={false}>
      <form class="login" method="post" action="/dashboard/login">
        <h2>Sign in</h2>
        {props.error && <p class="flash error">{props.error}</p>}
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
    <span class="icon" title={text} data-status={last.status} aria-label={text}>
      {last.icon}
    </span>
  );
}

export function HookList(props: { hooks: HookOut[]; flash?: string }) {
  return (
    <Page title="Hooks" signedIn>
      {props.flash && <p class="flash">{props.flash}</p>}
      <table>
        <thead>
          <tr><th></th><th>Hook</th><th>URL</th><th>Events</th><th>Status</th></tr>
        </thead>
        <tbody>
          {props.hooks.map((h) => (
            <tr data-hook={h.id}>
              <td><StatusIcon hook={h} /></td>
              <td>
                <a href={`/dashboard/hooks/${h.id}`}>{h.description || h.id}</a>
                <div class="muted mono">{h.id} · {h.profile}</div>
              </td>
              <td class="mono">{h.url}</td>
              <td class="mono">{h.events.join(", ")}</td>
              <td>{h.enabled ? h.status : `${h.status} (deactivated)`}{h.disabled_reason ? ` — ${h.disabled_reason}` : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.hooks.length === 0 && <p class="muted">No hooks yet. Create one with POST /v1/hooks.</p>}
    </Page>
  );
}

function PostButton(props: { action: string; label: string; primary?: boolean }) {
  return (
    <form method="post" action={props.action}>
      <button type="submit" class={props.primary ? "primary" : ""}>{props.label}</button>
    </form>
  );
}

export function HookPage(props: {
  hook: HookOut;
  deliveries: { delivery: Omit<DeliveryRecord, "cursor">; attempts: AttemptRecord[] }[];
  flash?: string;
  canManage: boolean;
}) {
  const h = props.hook;
  const base = `/dashboard/hooks/${h.id}`;
  return (
    <Page title={h.description || h.id} signedIn>
      {props.flash && <p class="flash">{props.flash}</p>}
      <h2><StatusIcon hook={h} /> {h.description || h.id}</h2>
      <p class="mono">{h.url}</p>
      <p class="muted">
        {h.profile} · {h.ordering} order · status {h.status}{h.enabled ? "" : " (deactivated)"}
        {h.disabled_reason ? ` · disabled: ${h.disabled_reason}` : ""} · events {h.events.join(", ")}
      </p>
      {h.public_key && (
        <p>
          Signs Standard Webhooks {h.signature_scheme === "both" ? "v1 and v1a" : "v1a"}; verify with the public key{" "}
          <code class="mono" data-public-key>{h.public_key}</code>
        </p>
      )}
      {props.canManage && (
        <div class="actions">
          <PostButton action={`${base}/test`} label="Send test event" primary />
          {h.enabled && h.status === "active" ? (
            <PostButton action={`${base}/deactivate`} label="Deactivate" />
          ) : (
            <PostButton action={`${base}/activate`} label="Activate" />
          )}
        </div>
      )}
      <h3>Delivery history</h3>
      <table>
        <thead>
          <tr><th>Event</th><th>Status</th><th>Attempts</th><th>Published</th><th></th></tr>
        </thead>
        <tbody>
          {props.deliveries.map(({ delivery: d, attempts }) => (
            <tr data-delivery={d.id}>
              <td>
                <div>{d.event_type}</div>
                <div class="muted mono">{d.event_id}</div>
              </td>
              <td data-status={d.status}>{d.status}{d.out_of_order ? " (out of order)" : ""}{d.last_error ? <div class="muted">{d.last_error}</div> : ""}</td>
              <td>
                <details>
                  <summary>{attempts.length} attempt{attempts.length === 1 ? "" : "s"}</summary>
                  <table class="attempts">
                    <tbody>
                      {attempts.map((a) => (
                        <tr data-attempt={a.attempt}>
                          <td>#{a.attempt}</td>
                          <td>{a.started_at}</td>
                          <td>{a.status_code ?? a.error_kind}</td>
                          <td>{a.duration_ms} ms</td>
                          <td class="mono">{a.error ?? ""}{a.response_body ? ` ${a.response_body.slice(0, 200)}` : ""}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              </td>
              <td class="muted">{d.published_at}</td>
              <td>{props.canManage && <PostButton action={`${base}/deliveries/${d.id}/resend`} label="Resend" />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.deliveries.length === 0 && <p class="muted">Nothing delivered yet.</p>}
    </Page>
  );
}
