// `npm run bench:profile`: a CPU profile of the 1 event → 50 hooks workload under wrangler dev,
// taken through its DevTools port, summed by source module and by function (self time). This is
// how bench/RESULTS.md found where the 50-hook CPU went. Traffic stays on 127.0.0.1; bounded.
// Options (env): EVENTS (default 100), HOOKS (50), MAX_IN_FLIGHT (hook default), OUT (a
// .cpuprofile file to open in Chrome DevTools).
import { writeFileSync } from "node:fs";
import WebSocket from "ws"; // wrangler's own (miniflare's) WebSocket client; the inspector answered Node's built-in one with nothing here
import { startReceiver } from "../test/receiver.mjs";
import { json, sleep, startHookline } from "./lib.mjs";

const HARD_STOP = setTimeout(() => { console.error("bench:profile: 5 minute limit reached"); process.exit(2); }, 300_000);
const EVENTS = Number(process.env.EVENTS ?? 100);
const HOOKS = Number(process.env.HOOKS ?? 50);

const rcv = await startReceiver();
const boxes = Array.from({ length: HOOKS }, (_, i) => `prof${i}`);
const { hl, K } = await startHookline("profile");
const mif = process.env.MAX_IN_FLIGHT ? { max_in_flight: Number(process.env.MAX_IN_FLIGHT) } : {};
for (const b of boxes) {
  await json(`${hl.base}/v1/hooks`, { method: "POST", headers: K, body: JSON.stringify({ url: `http://127.0.0.1:${rcv.port}/${b}/hook`, events: ["prof.fifty"], ordering: "none", order_window_ms: 0, ...mif }) });
}

/** Publishes `n` events (8 at a time) and waits until every hook has `upTo` receipts. */
async function run(n, upTo) {
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < n) { next++; await json(`${hl.base}/v1/events`, { method: "POST", headers: K, body: JSON.stringify({ type: "prof.fifty", data: { sent_at: Date.now() } }) }); }
  }));
  for (const b of boxes) {
    for (let i = 0; ; i++) {
      const log = await (await fetch(`http://127.0.0.1:${rcv.port}/_log/${b}`)).json();
      if (log.filter((r) => r.status === 200).length >= upTo) break;
      if (i > 1200) throw new Error(`timed out at ${b}`);
      await sleep(100);
    }
  }
}
await run(20, 20); // warm-up: the objects exist and the code is compiled

const target = (await (await fetch(`http://127.0.0.1:${hl.inspectorPort}/json`)).json())[0];
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.on("open", r));
let id = 0;
const pending = new Map();
ws.on("message", (m) => { const d = JSON.parse(m); pending.get(d.id)?.(d.result); pending.delete(d.id); });
const call = (method, params = {}) => new Promise((r) => { pending.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });

await json(`${hl.base}/bench/metrics/reset`, { method: "POST" });
await call("Profiler.enable");
await call("Profiler.setSamplingInterval", { interval: 200 });
await call("Profiler.start");
const cpu0 = hl.cpuSeconds();
await run(EVENTS, 20 + EVENTS);
await sleep(1500);
const cpu = hl.cpuSeconds() - cpu0;
const { profile } = await call("Profiler.stop");
const counts = await json(`${hl.base}/bench/metrics`);
await call("Debugger.enable");
const scriptId = profile.nodes.find((n) => n.callFrame.url.endsWith(".js") && n.callFrame.scriptId !== "0")?.callFrame.scriptId;
const source = scriptId ? (await call("Debugger.getScriptSource", { scriptId })).scriptSource.split("\n") : [];
if (process.env.OUT) writeFileSync(process.env.OUT, JSON.stringify(profile));

// self time per node, then by the bundle's `// src/…` module markers and by function
const self = new Map();
profile.samples.forEach((node, i) => self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const marks = [];
source.forEach((line, i) => { const m = /^\/\/ (\S+\.(?:ts|tsx|js|mjs))$/.exec(line); if (m) marks.push([i, m[1].replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, "npm:$1")]); });
const moduleAt = (line) => { let found = "?"; for (const [at, name] of marks) { if (at > line) break; found = name; } return found; };
const byModule = new Map();
const byFunction = new Map();
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  if (!us) continue;
  const f = node.callFrame;
  const mod = f.url && f.lineNumber >= 0 ? moduleAt(f.lineNumber) : `(native) ${f.functionName || "(anonymous)"}`;
  byModule.set(mod, (byModule.get(mod) ?? 0) + us);
  const fn = `${f.functionName || "(anonymous)"}  ${mod}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const deliveries = EVENTS * HOOKS;
const table = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${(us / 1000).toFixed(1).padStart(9)} ms  ${k}`).join("\n");
console.log(`${deliveries} deliveries; workerd CPU ${cpu.toFixed(2)} s = ${((cpu * 1000) / deliveries).toFixed(3)} ms per delivery (profiler on)`);
console.log(`counters: ${JSON.stringify(counts)}`);
console.log(`\nself time by module\n${table(byModule, 25)}\n\nself time by function\n${table(byFunction, 30)}`);
ws.close();
clearTimeout(HARD_STOP);
await hl.stop();
process.exit(0);
