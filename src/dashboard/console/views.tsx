/**
 * The console's pages, shared by the dashboard and the consumer portal: hook list, hook form, hook
 * page (chart, deliveries with filters and pages), delivery page (attempt inspector), secret once.
 * Buttons and links appear only where the scope allows the action; the routes check again.
 */
import { PROFILE_NAMES } from "../../core/profiles/types";
import type { HookOut } from "../../core/schemas";
import type { AttemptRecord, DeliveryRecord } from "../../endpoint/store";
import { Page, StatusIcon, type Frame } from "../views";
import { DeliveryChart, type HourPoint, type Range } from "./chart";
import type { FieldErrors, HookFormValues } from "./forms";
import type { SentRequest } from "./inspect";
import type { ConsoleScope } from "./scope";

export const frameOf = (s: ConsoleScope): Frame => ({
  brand: s.brand, home: s.base, stylesheets: s.stylesheets,
  signOut: s.kind === "dashboard" ? "/dashboard/logout" : undefined, returnUrl: s.returnUrl,
});

const Flash = (props: { text?: string }) => (props.text ? <p class="flash">{props.text}</p> : null);

function PostButton(props: { action: string; label: string; primary?: boolean; danger?: boolean; name?: string }) {
  return (
    <form method="post" action={props.action}>
      <button type="submit" class={props.primary ? "primary" : props.danger ? "danger" : ""}>{props.label}</button>
    </form>
  );
}

const stateText = (h: HookOut) => `${h.enabled ? h.status : `${h.status} (deactivated)`}${h.disabled_reason ? ` — ${h.disabled_reason}` : ""}`;

export function HookList(props: { scope: ConsoleScope; hooks: HookOut[]; next: string | null; flash?: string }) {
  const s = props.scope;
  return (
    <Page title={s.channel !== null ? `Webhooks for ${s.channel}` : "Hooks"} frame={frameOf(s)}>
      <Flash text={props.flash} />
      <div class="actions">
        <h2>{s.channel !== null ? "Your webhooks" : "Hooks"}</h2>
        {s.canManage && <a class="button primary" href={`${s.base}/hooks/new`}>New hook</a>}
      </div>
      <table class="rows">
        <thead>
          <tr><th><span class="sr-only">Last status</span></th><th>Hook</th><th>URL</th><th>Events</th><th>Status</th></tr>
        </thead>
        <tbody>
          {props.hooks.map((h) => (
            <tr data-hook={h.id}>
              <td><StatusIcon hook={h} /></td>
              <td>
                <a href={`${s.base}/hooks/${h.id}`}>{h.description || h.id}</a>
                <div class="muted mono">{h.id} · {h.profile}</div>
              </td>
              <td class="mono" data-label="URL">{h.url}</td>
              <td class="mono" data-label="Events">{h.events.join(", ")}</td>
              <td data-label="Status">{stateText(h)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.hooks.length === 0 && <p class="muted">No hooks yet.{s.canManage ? " Create one with New hook." : ""}</p>}
      {props.next && <nav class="pager" aria-label="Pages"><a href={`${s.base}?cursor=${props.next}`}>Next page →</a></nav>}
    </Page>
  );
}

function Field(props: { id: keyof HookFormValues; label: string; errors: FieldErrors; hint?: string; children: (aria: Record<string, string>) => unknown }) {
  const err = props.errors[props.id];
  const describedBy = [props.hint ? `${props.id}-hint` : "", err ? `${props.id}-error` : ""].filter(Boolean).join(" ");
  const aria: Record<string, string> = { id: props.id, name: props.id };
  if (describedBy) aria["aria-describedby"] = describedBy;
  if (err) aria["aria-invalid"] = "true";
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children(aria) as never}
      {props.hint && <p class="hint" id={`${props.id}-hint`}>{props.hint}</p>}
      {err && <p class="field-error" id={`${props.id}-error`}>{err}</p>}
    </div>
  );
}

export function HookForm(props: {
  scope: ConsoleScope; mode: "create" | "update"; action: string; values: HookFormValues; errors: FieldErrors;
  catalogue: { name: string; description: string | null }[]; hookId?: string;
}) {
  const { scope: s, values: v, errors } = props;
  const title = props.mode === "create" ? "New hook" : "Edit hook";
  return (
    <Page title={title} frame={frameOf(s)}>
      <h2>{title}</h2>
      {Object.keys(errors).length > 0 && (
        <p class="flash error" role="alert" id="form-errors">
          {errors.form ?? "Some fields need a change: see the messages below."}
        </p>
      )}
      <form class="hook" method="post" action={props.action} novalidate>
        <Field id="url" label="Endpoint URL" errors={errors} hint="Where Hookline POSTs each event (https).">
          {(a) => <input type="url" {...a} value={v.url} required autocomplete="off" inputmode="url" />}
        </Field>
        <Field id="description" label="Description" errors={errors}>
          {(a) => <input type="text" {...a} value={v.description} maxlength={500} />}
        </Field>
        <fieldset class="field" aria-describedby={`events-hint${errors.events ? " events-error" : ""}`}>
          <legend>Event types</legend>
          {props.catalogue.map((e, i) => (
            <label class="check" for={`ev-${i}`}>
              <input type="checkbox" id={`ev-${i}`} name="events" value={e.name} checked={v.events.includes(e.name)} />
              <span><span class="mono">{e.name}</span>{e.description ? <span class="muted"> — {e.description}</span> : ""}</span>
            </label>
          ))}
          <label for="events_other" class="hint">Other event names or patterns (comma-separated, e.g. <span class="mono">order.*</span>)</label>
          <input type="text" id="events_other" name="events_other" value={v.events_other} class="mono" />
          <p class="hint" id="events-hint">Nothing ticked or typed: every event.</p>
          {errors.events && <p class="field-error" id="events-error">{errors.events}</p>}
        </fieldset>
        <Field id="filter" label="Filter (optional)" errors={errors} hint={'JSON, e.g. {"data":{"status":{"$eq":"paid"}}} or {"changed_attributes":["name"]}.'}>
          {(a) => <textarea {...a}>{v.filter}</textarea>}
        </Field>
        <Field id="retry_schedule" label="Retry schedule (optional)" errors={errors} hint="Seconds before each attempt, e.g. 0, 5, 300. Empty: the default (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).">
          {(a) => <input type="text" {...a} value={v.retry_schedule} class="mono" />}
        </Field>
        {props.mode === "create" && (
          <Field id="profile" label="Format" errors={errors} hint="How requests are shaped and signed; Standard Webhooks unless your receiver expects another.">
            {(a) => (
              <select {...a}>
                {PROFILE_NAMES.map((p) => <option value={p} selected={(v.profile || "standard") === p}>{p}</option>)}
              </select>
            )}
          </Field>
        )}
        {s.channel === null && (
          <Field id="channels" label="Channels (optional)" errors={errors} hint="Comma-separated; empty: every channel.">
            {(a) => <input type="text" {...a} value={v.channels} class="mono" />}
          </Field>
        )}
        <div class="actions">
          <button type="submit" class="primary">{props.mode === "create" ? "Create hook" : "Save changes"}</button>
          <a href={props.hookId ? `${s.base}/hooks/${props.hookId}` : s.base}>Cancel</a>
        </div>
      </form>
    </Page>
  );
}

/** Shown once, right after create or rotate: the page that carries it is never cached. */
export function SecretOnce(props: { scope: ConsoleScope; hook: HookOut; secret: string | null; publicKey: string | null; what: "created" | "rotated" }) {
  const s = props.scope;
  return (
    <Page title="Signing secret" frame={frameOf(s)}>
      <p class="flash" role="status">{props.what === "created" ? "Hook created." : "Secret rotated; the previous one keeps signing for 24 hours on Standard Webhooks hooks."}</p>
      {props.secret ? (
        <div class="secret">
          <p><strong>Copy the signing secret now: it is shown only once.</strong></p>
          <label for="secret">Signing secret</label>
          <pre id="secret" data-secret>{props.secret}</pre>
        </div>
      ) : <p>This hook has no HMAC secret.</p>}
      {props.publicKey && <p>Verify v1a signatures with the public key <code class="mono" data-public-key>{props.publicKey}</code></p>}
      <p><a class="button primary" href={`${s.base}/hooks/${props.hook.id}`}>Continue to the hook</a></p>
    </Page>
  );
}

export interface DeliveryFilters {
  status?: string;
  event_type?: string;
}

export function HookPage(props: {
  scope: ConsoleScope; hook: HookOut;
  deliveries: { delivery: Omit<DeliveryRecord, "cursor">; attempts: AttemptRecord[] }[];
  next: string | null; filters: DeliveryFilters; eventTypes: string[];
  chart: { points: HourPoint[]; range: Range }; flash?: string;
}) {
  const s = props.scope;
  const h = props.hook;
  const base = `${s.base}/hooks/${h.id}`;
  const f = props.filters;
  const keep = new URLSearchParams(Object.entries({ range: props.chart.range, status: f.status ?? "", event_type: f.event_type ?? "" }).filter(([, v]) => v));
  return (
    <Page title={h.description || h.id} frame={frameOf(s)}>
      <Flash text={props.flash} />
      <h2><StatusIcon hook={h} /> {h.description || h.id}</h2>
      <p class="mono">{h.url}</p>
      <p class="muted">
        {h.profile} · {h.ordering} order · status {stateText(h)} · events {h.events.join(", ")}
        {h.channels.length ? ` · channels ${h.channels.join(", ")}` : ""}
      </p>
      {h.last_delivery.status === "failed" && <p class="flash error" data-last-error>Last request failed: {h.last_delivery.error ?? "unknown error"}</p>}
      {h.public_key && (
        <p>
          Signs Standard Webhooks {h.signature_scheme === "both" ? "v1 and v1a" : "v1a"}; verify with the public key{" "}
          <code class="mono" data-public-key>{h.public_key}</code>
        </p>
      )}
      <div class="actions">
        {s.canDeliver && <PostButton action={`${base}/test`} label="Send test event" primary />}
        {s.canManage && <a class="button" href={`${base}/edit`}>Edit</a>}
        {s.canManage && (h.enabled && h.status === "active" ? (
          <PostButton action={`${base}/deactivate`} label="Deactivate" />
        ) : (
          <PostButton action={`${base}/activate`} label="Activate" />
        ))}
        {s.canManage && <PostButton action={`${base}/rotate`} label="Rotate secret" />}
        {s.canManage && (
          <details>
            <summary>Delete…</summary>
            <p>Deleting cancels every pending delivery.</p>
            <PostButton action={`${base}/delete`} label="Delete this hook" danger />
          </details>
        )}
      </div>
      <DeliveryChart points={props.chart.points} range={props.chart.range} base={base} />
      <h3 id="history">Delivery history</h3>
      <form class="filters" method="get" action={base} aria-label="Filter deliveries">
        <input type="hidden" name="range" value={props.chart.range} />
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            {["", "pending", "delivering", "succeeded", "failed", "cancelled", "skipped"].map((st) => <option value={st} selected={(f.status ?? "") === st}>{st || "any"}</option>)}
          </select>
        </div>
        <div>
          <label for="f-type">Event type</label>
          <select id="f-type" name="event_type">
            {["", ...props.eventTypes].map((t) => <option value={t} selected={(f.event_type ?? "") === t}>{t || "any"}</option>)}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <table class="rows">
        <thead>
          <tr><th>Event</th><th>Status</th><th>Attempts</th><th>Published</th><th><span class="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {props.deliveries.map(({ delivery: d, attempts }) => (
            <tr data-delivery={d.id}>
              <td>
                <div><a href={`${base}/deliveries/${d.id}`}>{d.event_type}</a></div>
                <div class="muted mono">{d.event_id}</div>
              </td>
              <td data-status={d.status} data-label="Status">{d.status}{d.out_of_order ? " (out of order)" : ""}{d.last_error ? <div class="muted">{d.last_error}</div> : ""}</td>
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
                  <a href={`${base}/deliveries/${d.id}`}>Inspect requests</a>
                </details>
              </td>
              <td class="muted" data-label="Published">{d.published_at}</td>
              <td>{s.canDeliver && <PostButton action={`${base}/deliveries/${d.id}/resend`} label="Resend" />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.deliveries.length === 0 && <p class="muted">{f.status || f.event_type ? "No deliveries match these filters." : "Nothing delivered yet."}</p>}
      <nav class="pager" aria-label="Pages">
        {(f.status || f.event_type || props.next) && <a href={`${base}?range=${props.chart.range}#history`}>Newest</a>}
        {props.next && <a href={`${base}?${keep.toString()}${keep.size ? "&" : ""}cursor=${props.next}#history`}>Older →</a>}
      </nav>
      {s.canDeliver && (
        <form class="filters" method="post" action={`${base}/recover`} aria-label="Recover failed deliveries">
          <div>
            <label for="since">Recover failed deliveries since (UTC)</label>
            <input type="datetime-local" id="since" name="since" required />
          </div>
          <button type="submit">Recover</button>
        </form>
      )}
    </Page>
  );
}

export function DeliveryPage(props: {
  scope: ConsoleScope; hook: HookOut; delivery: Omit<DeliveryRecord, "cursor">;
  attempts: { attempt: AttemptRecord; request: SentRequest | null }[];
}) {
  const s = props.scope;
  const d = props.delivery;
  const base = `${s.base}/hooks/${props.hook.id}`;
  return (
    <Page title={`Delivery ${d.id}`} frame={frameOf(s)}>
      <p><a href={base}>← {props.hook.description || props.hook.id}</a></p>
      <h2>{d.event_type} <span class="muted mono">{d.id}</span></h2>
      <p data-status={d.status}>Status <strong>{d.status}</strong>{d.last_error ? ` — ${d.last_error}` : ""} · published {d.published_at}{d.next_attempt_at ? ` · next attempt ${d.next_attempt_at}` : ""}</p>
      {s.canDeliver && <div class="actions"><PostButton action={`${base}/deliveries/${d.id}/resend`} label="Resend" primary /></div>}
      {props.attempts.length === 0 && <p class="muted">No attempts yet.</p>}
      {props.attempts.map(({ attempt: a, request: r }) => (
        <section class="chart-box inspect" data-attempt={a.attempt} aria-labelledby={`att-${a.attempt}`}>
          <h3 id={`att-${a.attempt}`}>Attempt #{a.attempt}: {a.status_code ?? a.error_kind} in {a.duration_ms} ms</h3>
          <p class="muted">{a.started_at}{a.error ? ` · ${a.error}` : ""}</p>
          <h4>Request</h4>
          {r ? (
            <>
              <pre class="mono" data-request-line>POST {r.url}</pre>
              <pre class="mono" data-request-headers>{r.headers.map(([k, v]) => `${k}: ${v}`).join("\n")}</pre>
              <pre class="mono" data-request-body>{r.body}</pre>
              <p class="hint">Rebuilt exactly as sent at this attempt's time; signatures and custom header values are masked.</p>
            </>
          ) : <p class="muted">The request cannot be shown (the event is no longer kept).</p>}
          <h4>Response</h4>
          <pre class="mono" data-response-headers>{a.status_code !== null ? `HTTP ${a.status_code}\n` : ""}{Object.entries(a.response_headers).map(([k, v]) => `${k}: ${v}`).join("\n")}</pre>
          <pre class="mono" data-response-body>{a.response_body ?? "(no body)"}</pre>
        </section>
      ))}
    </Page>
  );
}
