// `npm run bench`: Hookline under wrangler dev against baselines measured in the same run.
// Writes bench/results.json and bench/RESULTS.md. Traffic stays on 127.0.0.1; bounded in count
// and time (a hard stop after 8 minutes).
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startReceiver } from "../test/receiver.mjs";
import { json, pct, readResults, replaceSection, round, sleep, startHookline, startWorker } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const HARD_STOP = setTimeout(() => { console.error("bench: 8 minute limit reached"); process.exit(2); }, 480_000);

const SIZES = { ingest: 1500, e2e1: 400, batch: 1000, e2e50: 100, rounds50: 4, hooks50: 50, backlog: 1000, warmup: 40 };

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

/**
 * Publish `n` events (concurrency 8) and measure publish→receipt for `deliveries` receipts. What the
 * boxes had received before (a warm-up) is not counted.
 */
async function e2e(rcv, boxes, deliveries, publishOne, n) {
  const before = new Map();
  for (const b of boxes) before.set(b, (await receiverLog(rcv, b)).filter((r) => r.method === "POST" && r.status === 200).length);
  const started = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (next < n) { const i = next++; await publishOne(i, Date.now()); } }));
  const receipts = [];
  for (const b of boxes) receipts.push(...(await waitReceipts(rcv, b, before.get(b) + deliveries / boxes.length)).slice(before.get(b)));
  const lats = receipts.map((r) => r.at - JSON.parse(r.body).data.sent_at);
  const span = (Math.max(...receipts.map((r) => r.at)) - started) / 1000;
  return { deliveries_per_s: deliveries / span, p50_ms: pct(lats, 50), p99_ms: pct(lats, 99), deliveries, lats, span };
}

/** `run` on worker `w`, with the CPU its processes used until its last reports landed. */
async function withCpu(w, run) {
  const cpu0 = w.cpuSeconds();
  const out = await run();
  await sleep(1500);
  return { ...out, cpu_s: w.cpuSeconds() - cpu0 };
}

/** Rounds of e2e() as one figure: deliveries over the rounds' total time, latencies pooled, CPU summed. */
function pooled(rounds) {
  const lats = rounds.flatMap((r) => r.lats);
  const deliveries = rounds.reduce((n, r) => n + r.deliveries, 0);
  const span = rounds.reduce((t, r) => t + r.span, 0);
  return { deliveries_per_s: deliveries / span, p50_ms: pct(lats, 50), p99_ms: pct(lats, 99), deliveries, cpu_s: rounds.reduce((t, r) => t + r.cpu_s, 0), rounds: rounds.length };
}

async function main() {
  const rcv = await startReceiver();
  const R = (box, path = "hook") => `http://127.0.0.1:${rcv.port}/${box}/${path}`;
  const results = { date: new Date().toISOString(), machine: "2 cores, wrangler dev (local workerd)", sizes: SIZES };

  // ---------------------------------------------------------------- Hookline (bench build)
  const { hl, tenant, K } = await startHookline("bench");
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

  // 2. end-to-end, and the three cost workloads, each counted on its own (resources as billed + CPU)
  console.log("end-to-end…");
  const publishHl = (type) => (i, now) => json(`${hl.base}/v1/events`, { method: "POST", headers: K, body: JSON.stringify({ type, data: { seq: i, sent_at: now } }) });
  const measured = async (run) => {
    await json(`${hl.base}/bench/metrics/reset`, { method: "POST" });
    const out = await withCpu(hl, run); // until the last reports and alarms land
    return { ...out, counts: await json(`${hl.base}/bench/metrics`) };
  };
  // (a) 1 event → 1 hook, single publishes
  await hook({ url: R("e2e1"), events: ["bench.one"], ordering: "none", order_window_ms: 0 });
  const one = await measured(() => e2e(rcv, ["e2e1"], SIZES.e2e1, publishHl("bench.one"), SIZES.e2e1));
  // (b) 100-event batches → 1 hook
  await hook({ url: R("batch1"), events: ["bench.batch"], ordering: "none", order_window_ms: 0 });
  const batch = await measured(() => e2e(rcv, ["batch1"], SIZES.batch, (i, now) => json(`${hl.base}/v1/events/batch`, {
    method: "POST", headers: K, body: JSON.stringify({ events: Array.from({ length: 100 }, (_, k) => ({ type: "bench.batch", data: { seq: i * 100 + k, sent_at: now } })) }),
  }), SIZES.batch / 100));
  // (c) 1 event → 50 hooks, in rounds interleaved with the no-DO baseline's: the two meet the same
  // machine (on a shared 2-core VM the CPU one piece of work takes drifts by tens of percent over
  // minutes), and both are warmed up first. Hookline's resources are counted over its rounds.
  const boxes50 = Array.from({ length: SIZES.hooks50 }, (_, i) => `e2e50h${i}`);
  for (const b of boxes50) await hook({ url: R(b), events: ["bench.fifty"], ordering: "none", order_window_ms: 0 });
  const baseBoxes50 = Array.from({ length: SIZES.hooks50 }, (_, i) => `base50h${i}`);
  const base50w = await startWorker(join(here, "baseline", "wrangler.toml"), { TARGETS: baseBoxes50.map((b) => R(b)).join(",") }, false);
  const publishBase = (w) => (i, now) => json(`${w.base}/`, { method: "POST", body: JSON.stringify({ type: "bench", data: { seq: i, sent_at: now } }) });
  const per50 = (n) => n * SIZES.hooks50;
  await e2e(rcv, boxes50, per50(SIZES.warmup), publishHl("bench.fifty"), SIZES.warmup);
  await e2e(rcv, baseBoxes50, per50(SIZES.warmup), publishBase(base50w), SIZES.warmup);
  await sleep(1500);
  await json(`${hl.base}/bench/metrics/reset`, { method: "POST" });
  const hlRounds = [];
  const baseRounds = [];
  for (let r = 0; r < SIZES.rounds50; r++) {
    hlRounds.push(await withCpu(hl, () => e2e(rcv, boxes50, per50(SIZES.e2e50), publishHl("bench.fifty"), SIZES.e2e50)));
    baseRounds.push(await withCpu(base50w, () => e2e(rcv, baseBoxes50, per50(SIZES.e2e50), publishBase(base50w), SIZES.e2e50)));
  }
  const fifty = { ...pooled(hlRounds), counts: await json(`${hl.base}/bench/metrics`) };
  const base50 = pooled(baseRounds);
  await base50w.stop();

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
    const r = await withCpu(w, () => e2e(rcv, boxes, n * perEvent, publishBase(w), n));
    await w.stop();
    return r;
  };
  const base1 = await runBaseline([R("base1")], SIZES.e2e1, 1);
  const cpuPer = (r) => (r.cpu_s * 1000) / r.deliveries; // CPU ms per delivery, every workerd process of the run
  const strip = ({ counts: _c, lats: _l, span: _s, ...r }) => r;
  results.e2e = {
    one_hook: { hookline: strip(one), baseline: strip(base1), ratio: one.deliveries_per_s / base1.deliveries_per_s },
    fifty_hooks: {
      hookline: strip(fifty), baseline: strip(base50), ratio: fifty.deliveries_per_s / base50.deliveries_per_s,
      cpu_ms_per_delivery: { hookline: cpuPer(fifty), baseline: cpuPer(base50), ratio: cpuPer(fifty) / cpuPer(base50) },
      by_round: hlRounds.map((h, i) => {
        const b = baseRounds[i];
        return { deliveries_per_s: { hookline: round(h.deliveries_per_s), baseline: round(b.deliveries_per_s) }, cpu_ms_per_delivery: { hookline: round(cpuPer(h), 3), baseline: round(cpuPer(b), 3) } };
      }),
    },
  };

  // ---------------------------------------------------------------- cost model, as Cloudflare bills it
  // USD, Workers Paid list prices beyond the monthly allowances, from Cloudflare's pricing pages
  // (Workers, Queues, Durable Objects incl. SQLite storage rows, D1), read 2026-11-24.
  const PRICES = {
    workers_request: 0.30 / 1e6, cpu_ms: 0.02 / 1e6, queue_operation: 0.40 / 1e6, do_request: 0.15 / 1e6,
    do_gb_s: 12.50 / 1e6, do_row_read: 0.001 / 1e6, do_row_written: 1.0 / 1e6, d1_row_read: 0.001 / 1e6, d1_row_written: 1.0 / 1e6,
  };
  const DO_GB = 128 / 1024; // duration is billed at 128 MB per object
  const perDelivery = (w, apiRequests) => {
    const c = w.counts;
    const per = (k) => (c[k] ?? 0) / w.deliveries;
    return {
      api_requests: apiRequests / w.deliveries,
      queue_operations: per("queue.billed_writes") + 2 * per("queue.billed_consumed"), // per 64 KB: written, read, deleted
      do_requests: per("do.requests") + per("do.alarm_runs"),
      do_gb_s: (per("do.wall_ms") / 1000) * DO_GB,
      do_rows_read: per("do.rows_read"),
      do_rows_written: per("do.rows_written") + per("do.alarm_writes"),
      d1_rows_read: per("d1.rows_read"),
      d1_rows_written: per("d1.rows_written"),
      cpu_ms: (w.cpu_s * 1000) / w.deliveries,
      target_requests: per("delivery.attempts"),
    };
  };
  const usd = (p) => {
    const parts = {
      workers_requests: p.api_requests * PRICES.workers_request,
      cpu: p.cpu_ms * PRICES.cpu_ms,
      queue_operations: p.queue_operations * PRICES.queue_operation,
      do_requests: p.do_requests * PRICES.do_request,
      do_duration: p.do_gb_s * PRICES.do_gb_s,
      do_rows_read: p.do_rows_read * PRICES.do_row_read,
      do_rows_written: p.do_rows_written * PRICES.do_row_written,
      d1_rows_read: p.d1_rows_read * PRICES.d1_row_read,
      d1_rows_written: p.d1_rows_written * PRICES.d1_row_written,
    };
    const perMillion = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v * 1e6]));
    return { ...perMillion, total: Object.values(perMillion).reduce((a, b) => a + b, 0) };
  };
  const workloads = {
    single_1to1: perDelivery(one, SIZES.e2e1),
    batch100_1to1: perDelivery(batch, SIZES.batch / 100),
    fanout_1to50: perDelivery(fifty, SIZES.e2e50 * SIZES.rounds50),
  };
  const breakdown = Object.fromEntries(Object.entries(workloads).map(([k, p]) => [k, usd(p)]));
  results.cost = {
    usd_per_million: Object.fromEntries(Object.entries(breakdown).map(([k, b]) => [k, round(b.total, 3)])),
    per_delivery: workloads,
    usd_per_million_by_resource: breakdown,
    raw_counts: { single_1to1: one.counts, batch100_1to1: batch.counts, fanout_1to50: fifty.counts },
    prices_usd: PRICES,
    prices_read: "2026-11-24",
  };
  results.targets = {
    ingest: { ratio: results.ingest.ratio, target: 0.8 },
    e2e_one_hook: { ratio: results.e2e.one_hook.ratio, target: 0.7 },
    e2e_fifty_hooks: { ratio: results.e2e.fifty_hooks.ratio, target: 0.7 },
    strict_drain: { ratio: drain.ratio, target: 0.5 },
    cost_single_1to1: { usd_per_million: results.cost.usd_per_million.single_1to1, target: 2.5 },
    cost_batch100_1to1: { usd_per_million: results.cost.usd_per_million.batch100_1to1, target: 0.8 },
    cost_fanout_1to50: { usd_per_million: results.cost.usd_per_million.fanout_1to50, target: 0.8 },
    e2e_fifty_hooks_cpu: { ratio: results.e2e.fifty_hooks.cpu_ms_per_delivery.ratio, target: 1.5 },
  };

  results.duration_s = Math.round((Date.now() - Date.parse(results.date)) / 1000);
  const { resources: _old, ...kept } = readResults(); // `resources`: the first build's per-statement count, replaced by `cost`
  writeFileSync(join(here, "results.json"), JSON.stringify({ ...kept, ...results }, null, 2) + "\n");
  const md = table(results);
  replaceSection(join(here, "RESULTS.md"), "bench", md); // the backlog section, if any, is left as it is
  replaceSection(join(here, "..", "README.md"), "bench", md.replace(/^# .*\n/, "").replace(/^## /gm, "### "));
  console.log("\n" + md);
  await rcv.close();
  clearTimeout(HARD_STOP);
}

function costTable(r) {
  const names = { single_1to1: "1 → 1, single publishes", batch100_1to1: "100-event batches → 1 hook", fanout_1to50: "1 event → 50 hooks" };
  const rows = [
    ["API requests", "api_requests", "workers_requests", "$0.30 / M"],
    ["CPU ms", "cpu_ms", "cpu", "$0.02 / M ms"],
    ["queue operations (64 KB units)", "queue_operations", "queue_operations", "$0.40 / M"],
    ["DO requests (calls + alarms)", "do_requests", "do_requests", "$0.15 / M"],
    ["DO duration, GB-s", "do_gb_s", "do_duration", "$12.50 / M GB-s"],
    ["DO rows read", "do_rows_read", "do_rows_read", "$0.001 / M"],
    ["DO rows written", "do_rows_written", "do_rows_written", "$1.00 / M"],
    ["D1 rows read", "d1_rows_read", "d1_rows_read", "$0.001 / M"],
    ["D1 rows written", "d1_rows_written", "d1_rows_written", "$1.00 / M"],
  ];
  const keys = Object.keys(names);
  const f = (x, d) => (x === undefined || x === null ? "–" : round(x, d));
  const head = `| resource (per delivery → USD per million deliveries) | price | ${keys.map((k) => names[k]).join(" | ")} |\n|---|---|${keys.map(() => "---").join("|")}|`;
  const body = rows.map(([label, pk, ck, price]) =>
    `| ${label} | ${price} | ${keys.map((k) => `${f(r.cost.per_delivery[k][pk], 4)} → $${f(r.cost.usd_per_million_by_resource[k][ck], 3)}`).join(" | ")} |`).join("\n");
  const total = `| **total, USD per million deliveries** | | ${keys.map((k) => `**$${f(r.cost.usd_per_million[k], 2)}**`).join(" | ")} |`;
  const target = `| target | | ≤ $2.50 | ≤ $0.80 | ≤ $0.80 |`;
  return [head, body, total, target].join("\n");
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

End-to-end with 50 hooks: ${r.e2e.fifty_hooks.hookline.rounds} rounds of ${r.sizes.e2e50} events each for Hookline and the
baseline, interleaved, after a warm-up of ${r.sizes.warmup} events each. CPU per delivery (all workerd processes
of each, /proc): Hookline ${f(r.e2e.fifty_hooks.cpu_ms_per_delivery.hookline, 2)} ms, baseline ${f(r.e2e.fifty_hooks.cpu_ms_per_delivery.baseline, 2)} ms:
**${f(r.e2e.fifty_hooks.cpu_ms_per_delivery.ratio, 2)}×** (target ≤ 1.5× when the throughput ratio is under 0.7).
By round (deliveries/s, CPU ms per delivery; Hookline / baseline): ${r.e2e.fifty_hooks.by_round.map((x) => `${f(x.deliveries_per_s.hookline, 0)} / ${f(x.deliveries_per_s.baseline, 0)}, ${f(x.cpu_ms_per_delivery.hookline, 2)} / ${f(x.cpu_ms_per_delivery.baseline, 2)}`).join("; ")}.

## Cost per million deliveries, as billed

Counted in the bench build: SQL cursor rowsRead/rowsWritten in the Durable Object (indexes
included), D1 meta.rows_read/rows_written (the rows returned, for selects whose raw() carries no meta), queue operations per 64 KB of each message written, read
and deleted, DO requests including alarm runs, DO duration from the wall time of DO calls at
128 MB, CPU from the workerd processes.

${costTable(r)}

Prices: Cloudflare Workers Paid list prices as published in Cloudflare's pricing docs, read 2026-11-24,
beyond each product's monthly included allowance. Reproduce with \`npm run bench\` (this run took ${f(r.duration_s / 60, 1)} minutes).
`;
}

main().catch((err) => { console.error(err); process.exit(1); });
