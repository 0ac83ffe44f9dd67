// `npm run bench`: Hookline under wrangler dev against baselines measured in the same run.
// Writes bench/results.json and bench/RESULTS.md. Traffic stays on 127.0.0.1; bounded in count
// and time (a hard stop after 5 minutes).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startReceiver } from "../test/receiver.mjs";
import { json, pct, readResults, round, sleep, startWorker } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const HARD_STOP = setTimeout(() => { console.error("bench: 5 minute limit reached"); process.exit(2); }, 300_000);

const SIZES = { ingest: 1500, e2e1: 400, e2e50: 100, hooks50: 50, backlog: 1000 };

/** `count` POSTs at `concurrency`; returns requests/s and latency percentiles. */
async function load(url, headers, makeBody, count, concurrency) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const s = performance.now();
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(makeBody(i)) });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`load: ${res.status}`);
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  return { rps: count / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

const receiverLog = async (rcv, box) => (await fetch(`http://127.0.0.1:${rcv.port}/_log/${box}`)).json();
async function waitReceipts(rcv, box, n, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const log = await receiverLog(rcv, box);
    const ok = log.filter((r) => r.method === "POST" && r.status === 200);
    if (ok.length >= n) return ok;
    if (Date.now() > end) throw new Error(`timed out: ${ok.length}/${n} at ${box}`);
    await sleep(100);
  }
}

/** Publish `n` events (concurrency 8) and measure publish→receipt for `deliveries` receipts. */
async function e2e(rcv, boxes, deliveries, publishOne, n) {
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (next < n) { const i = next++; await publishOne(i, Date.now()); } }));
  const receipts = [];
  for (const b of boxes) receipts.push(...(await waitReceipts(rcv, b, deliveries / boxes.length)));
  const lats = receipts.map((r) => r.at - JSON.parse(r.body).data.sent_at);
  const span = (Math.max(...receipts.map((r) => r.at)) - started) / 1000;
  return { deliveries_per_s: deliveries / span, p50_ms: pct(lats, 50), p99_ms: pct(lats, 99), deliveries };
}

async function main() {
  const rcv = await startReceiver();
  const R = (box, path = "hook") => `http://127.0.0.1:${rcv.port}/${box}/${path}`;
  const results = { date: new Date().toISOString(), machine: "2 cores, wrangler dev (local workerd)", sizes: SIZES };

  // ---------------------------------------------------------------- Hookline (bench build)
  const admin = "bench_" + randomBytes(8).toString("hex");
  const hl = await startWorker(join(here, "wrangler.bench.toml"), {
    ADMIN_TOKEN: admin, ENCRYPTION_KEY: randomBytes(32).toString("base64"), ALLOW_PRIVATE_TARGETS: "true", METRICS: "1",
  }, true);
  const A = { authorization: `Bearer ${admin}` };
  const tenant = await json(`${hl.base}/v1/tenants`, { method: "POST", headers: A, body: JSON.stringify({ name: "bench" }) });
  const { key } = await json(`${hl.base}/v1/tenants/${tenant.id}/api-keys`, { method: "POST", headers: A, body: JSON.stringify({ scopes: ["webhook:manage", "events:publish", "deliveries:read"] }) });
  const K = { authorization: `Bearer ${key}` };
  const hook = (body) => json(`${hl.base}/v1/hooks`, { method: "POST", headers: K, body: JSON.stringify(body) });

  // 1. ingest, against the bare route (interleaved rounds, warm-up first)
  console.log("ingest…");
  const real = (i) => ({ type: "bench.ingest", data: { i } });
  const bare = (i) => ({ tenant_id: tenant.id, type: "bench.ingest", data: { i } });
  await load(`${hl.base}/bench/bare`, {}, bare, 200, 8);
  await load(`${hl.base}/v1/events`, K, real, 200, 8);
  const ingest = { hookline: [], bare: [] };
  for (let r = 0; r < 2; r++) {
    ingest.bare.push(await load(`${hl.base}/bench/bare`, {}, bare, SIZES.ingest / 2, 16));
    ingest.hookline.push(await load(`${hl.base}/v1/events`, K, real, SIZES.ingest / 2, 16));
  }
  const avg = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  results.ingest = {
    hookline: { rps: avg(ingest.hookline, "rps"), p50_ms: avg(ingest.hookline, "p50"), p99_ms: avg(ingest.hookline, "p99") },
    bare: { rps: avg(ingest.bare, "rps"), p50_ms: avg(ingest.bare, "p50"), p99_ms: avg(ingest.bare, "p99") },
  };
  results.ingest.ratio = results.ingest.hookline.rps / results.ingest.bare.rps;
  await sleep(3000); // let the ingest events drain through fan-out before measuring deliveries

  // 2. end-to-end, 1 hook and 50 hooks; resource counts over the 1-hook run (steady state)
  console.log("end-to-end…");
  await hook({ url: R("e2e1"), events: ["bench.one"], ordering: "none", order_window_ms: 0 });
  await json(`${hl.base}/bench/metrics/reset`, { method: "POST" });
  const publishHl = (type) => (i, now) => json(`${hl.base}/v1/events`, { method: "POST", headers: K, body: JSON.stringify({ type, data: { seq: i, sent_at: now } }) });
  const one = await e2e(rcv, ["e2e1"], SIZES.e2e1, publishHl("bench.one"), SIZES.e2e1);
  await sleep(1500);
  const counts = await json(`${hl.base}/bench/metrics`);
  for (let i = 0; i < SIZES.hooks50; i++) await hook({ url: R(`e2e50h${i}`), events: ["bench.fifty"], ordering: "none", order_window_ms: 0 });
  const fifty = await e2e(rcv, Array.from({ length: SIZES.hooks50 }, (_, i) => `e2e50h${i}`), SIZES.e2e50 * SIZES.hooks50, publishHl("bench.fifty"), SIZES.e2e50);

  // 3. drain of a 1,000-event backlog: the receiver holds the first request(s) 8 s while the rest is admitted
  console.log("drain…");
  const drain = {};
  for (const ordering of ["strict", "none"]) {
    const box = `drain${ordering}`;
    const held = ordering === "strict" ? 1 : 10;
    await fetch(`http://127.0.0.1:${rcv.port}/_script/${box}`, { method: "POST", body: JSON.stringify({ steps: Array(held).fill({ status: 200, delay_ms: 8000 }), default: { status: 200 } }) });
    await hook({ url: R(box), events: [`bench.drain.${ordering}`], ordering, order_window_ms: 0, max_in_flight: 10 });
    for (let i = 0; i < SIZES.backlog; i += 100) {
      await json(`${hl.base}/v1/events/batch`, { method: "POST", headers: K, body: JSON.stringify({ events: Array.from({ length: 100 }, (_, k) => ({ type: `bench.drain.${ordering}`, data: { seq: i + k, sent_at: Date.now() } })) }) });
    }
    const log = await waitReceipts(rcv, box, SIZES.backlog, 120_000);
    const arrivals = log.map((r) => r.at).sort((a, b) => a - b);
    const released = arrivals[held - 1] + 8000; // when the held request(s) were answered
    const rest = arrivals.filter((t) => t >= released - 50);
    drain[ordering] = { deliveries_per_s: rest.length / ((arrivals[arrivals.length - 1] - released) / 1000), backlog: SIZES.backlog };
  }
  drain.ratio = drain.strict.deliveries_per_s / drain.none.deliveries_per_s;
  results.drain = drain;
  await hl.stop();

  // ---------------------------------------------------------------- E2E baseline: no DO, no D1
  console.log("baseline…");
  const runBaseline = async (targets, n, perEvent) => {
    const w = await startWorker(join(here, "baseline", "wrangler.toml"), { TARGETS: targets.join(",") }, false);
    const boxes = targets.map((u) => u.split("/")[3]);
    const r = await e2e(rcv, boxes, n * perEvent, (i, now) => json(`${w.base}/`, { method: "POST", body: JSON.stringify({ type: "bench", data: { seq: i, sent_at: now } }) }), n);
    await w.stop();
    return r;
  };
  const base1 = await runBaseline([R("base1")], SIZES.e2e1, 1);
  const base50 = await runBaseline(Array.from({ length: SIZES.hooks50 }, (_, i) => R(`base50h${i}`)), SIZES.e2e50, SIZES.hooks50);
  results.e2e = {
    one_hook: { hookline: one, baseline: base1, ratio: one.deliveries_per_s / base1.deliveries_per_s },
    fifty_hooks: { hookline: fifty, baseline: base50, ratio: fifty.deliveries_per_s / base50.deliveries_per_s },
  };

  // ---------------------------------------------------------------- cost model
  const d = SIZES.e2e1;
  const per = (k) => (counts[k] ?? 0) / d;
  const queueOps = per("queue.writes") + 2 * per("queue.messages_consumed"); // write + (read + delete) per message
  const perDelivery = {
    api_requests: 1,
    queue_operations: queueOps,
    do_requests: per("do.requests") + per("do.alarm_runs"),
    do_rows_written: per("do.rows_written") + per("do.alarm_writes"),
    d1_read_queries: per("d1.read_queries"),
    d1_write_queries: per("d1.write_queries"),
    d1_rows_written: per("d1.rows_written"),
    alarm_writes: per("do.alarm_writes"),
    target_requests: per("delivery.attempts"),
  };
  const PRICES = { // USD, Cloudflare list prices (Workers Paid), as published in Cloudflare's docs, read 2026-11-23
    workers_request: 0.30 / 1e6, queue_operation: 0.40 / 1e6, do_request: 0.15 / 1e6, do_row_written: 1.0 / 1e6, d1_row_written: 1.0 / 1e6,
  };
  const cost = {
    workers_requests: perDelivery.api_requests * PRICES.workers_request * 1e6,
    queue_operations: perDelivery.queue_operations * PRICES.queue_operation * 1e6,
    do_requests: perDelivery.do_requests * PRICES.do_request * 1e6,
    do_rows_written: perDelivery.do_rows_written * PRICES.do_row_written * 1e6,
    d1_rows_written: perDelivery.d1_rows_written * PRICES.d1_row_written * 1e6,
  };
  cost.total = Object.values(cost).reduce((a, b) => a + b, 0);
  results.resources = { per_delivery: perDelivery, raw_counts: counts, deliveries_counted: d, prices_usd: PRICES, cost_per_million_deliveries_usd: cost };
  results.targets = {
    ingest: { ratio: results.ingest.ratio, target: 0.8 },
    e2e_one_hook: { ratio: results.e2e.one_hook.ratio, target: 0.7 },
    e2e_fifty_hooks: { ratio: results.e2e.fifty_hooks.ratio, target: 0.7 },
    strict_drain: { ratio: drain.ratio, target: 0.5 },
    d1_writes_per_delivery: { value: perDelivery.d1_write_queries, target: 0 },
  };

  writeFileSync(join(here, "results.json"), JSON.stringify({ ...readResults(), ...results }, null, 2) + "\n");
  const md = table(results);
  // keep the section `npm run bench:backlog` wrote
  const prev = existsSync(join(here, "RESULTS.md")) ? readFileSync(join(here, "RESULTS.md"), "utf8") : "";
  const backlog = prev.match(/<!-- backlog:start -->[\s\S]*<!-- backlog:end -->\n?/)?.[0];
  writeFileSync(join(here, "RESULTS.md"), backlog ? md + "\n" + backlog : md);
  console.log("\n" + md);
  await rcv.close();
  clearTimeout(HARD_STOP);
}

function table(r) {
  const f = (x, d = 1) => (x === null || x === undefined ? "–" : round(x, d));
  return `# Hookline benchmark (${r.date.slice(0, 10)}, ${r.machine})

| measure | Hookline | baseline (same run) | ratio | target |
|---|---|---|---|---|
| ingest, requests/s (POST /v1/events vs a bare EVENTS.send route) | ${f(r.ingest.hookline.rps)} | ${f(r.ingest.bare.rps)} | **${f(r.ingest.ratio, 2)}** | ≥ 0.8 |
| ingest p50 / p99 ms | ${f(r.ingest.hookline.p50_ms)} / ${f(r.ingest.hookline.p99_ms)} | ${f(r.ingest.bare.p50_ms)} / ${f(r.ingest.bare.p99_ms)} | | |
| end-to-end, 1 hook: deliveries/s (vs queue → fetch, no DO) | ${f(r.e2e.one_hook.hookline.deliveries_per_s)} | ${f(r.e2e.one_hook.baseline.deliveries_per_s)} | **${f(r.e2e.one_hook.ratio, 2)}** | ≥ 0.7 |
| end-to-end, 1 hook: publish→receipt p50 / p99 ms | ${f(r.e2e.one_hook.hookline.p50_ms, 0)} / ${f(r.e2e.one_hook.hookline.p99_ms, 0)} | ${f(r.e2e.one_hook.baseline.p50_ms, 0)} / ${f(r.e2e.one_hook.baseline.p99_ms, 0)} | | |
| end-to-end, 50 hooks: deliveries/s | ${f(r.e2e.fifty_hooks.hookline.deliveries_per_s)} | ${f(r.e2e.fifty_hooks.baseline.deliveries_per_s)} | **${f(r.e2e.fifty_hooks.ratio, 2)}** | ≥ 0.7 |
| end-to-end, 50 hooks: publish→receipt p50 / p99 ms | ${f(r.e2e.fifty_hooks.hookline.p50_ms, 0)} / ${f(r.e2e.fifty_hooks.hookline.p99_ms, 0)} | ${f(r.e2e.fifty_hooks.baseline.p50_ms, 0)} / ${f(r.e2e.fifty_hooks.baseline.p99_ms, 0)} | | |
| drain of a ${r.drain.strict.backlog}-event backlog, deliveries/s: strict vs ordering none | ${f(r.drain.strict.deliveries_per_s)} | ${f(r.drain.none.deliveries_per_s)} | **${f(r.drain.ratio, 2)}** | ≥ 0.5 |

Per delivery (1 hook, ${r.resources.deliveries_counted} deliveries, counted by instrumentation in the bench build):

| resource | per delivery | list price (USD) | per million deliveries (USD) |
|---|---|---|---|
| API requests (publish) | ${f(r.resources.per_delivery.api_requests, 2)} | $0.30 / M requests | ${f(r.resources.cost_per_million_deliveries_usd.workers_requests, 3)} |
| queue operations (write + read + delete) | ${f(r.resources.per_delivery.queue_operations, 2)} | $0.40 / M operations | ${f(r.resources.cost_per_million_deliveries_usd.queue_operations, 3)} |
| Durable Object requests (RPC calls + alarm runs) | ${f(r.resources.per_delivery.do_requests, 2)} | $0.15 / M requests | ${f(r.resources.cost_per_million_deliveries_usd.do_requests, 3)} |
| Durable Object rows written (incl. alarm writes) | ${f(r.resources.per_delivery.do_rows_written, 2)} | $1.00 / M rows | ${f(r.resources.cost_per_million_deliveries_usd.do_rows_written, 3)} |
| D1 read queries | ${f(r.resources.per_delivery.d1_read_queries, 3)} | $0.001 / M rows read | ≈ 0 |
| D1 write queries / rows written | ${f(r.resources.per_delivery.d1_write_queries, 3)} / ${f(r.resources.per_delivery.d1_rows_written, 3)} | $1.00 / M rows | ${f(r.resources.cost_per_million_deliveries_usd.d1_rows_written, 3)} |
| alarm writes | ${f(r.resources.per_delivery.alarm_writes, 2)} | (counted as DO rows written) | |
| **total** (excl. CPU time and DO duration, not measured here) | | | **${f(r.resources.cost_per_million_deliveries_usd.total, 2)}** |

Prices: Cloudflare Workers Paid list prices as published in Cloudflare's pricing docs, read 2026-11-23,
beyond each product's monthly included allowance. Reproduce with \`npm run bench\` (≈ 3–4 minutes).
`;
}

main().catch((err) => { console.error(err); process.exit(1); });
