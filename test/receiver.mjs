// A real HTTP receiver on 127.0.0.1 for tests and benchmarks, scripted per "box" (a path prefix):
//   POST /_script/<box>  {"steps":[{status,delay_ms,headers,body,reset}], "default":{...},
//                         "verify":{"profile":"bimdata","secrets":["…"]}}   (seed-verifiers.mjs)
//   GET  /_log/<box>     every request the box saw: method, path, headers, body (utf-8), at
//   DELETE /_log/<box>   forget it
// Any other request to /<box>/... is recorded and answered by the next step, or the default (200).
import http from "node:http";
import { verifyAll } from "./seed-verifiers.mjs";

export function startReceiver(port = 0) {
  const boxes = new Map();
  const box = (name) => {
    if (!boxes.has(name)) boxes.set(name, { log: [], steps: [], def: { status: 200 } });
    return boxes.get(name);
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const [, first, second] = req.url.split("/");
      if (first === "_script" && req.method === "POST") {
        const spec = JSON.parse(body.toString("utf8"));
        const b = box(second);
        b.steps = spec.steps ?? [];
        if (spec.default) b.def = spec.default;
        if (spec.verify) b.verify = spec.verify;
        res.writeHead(204).end();
        return;
      }
      if (first === "_log") {
        const b = box(second);
        if (req.method === "DELETE") {
          boxes.delete(second);
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(b.log));
        return;
      }
      const b = box(first);
      let step = b.steps.length ? b.steps.shift() : b.def;
      let verified;
      if (b.verify && req.method === "POST") {
        verified = verifyAll(b.verify.profile, body, req.headers, b.verify.secrets);
        // like the seeds' receivers: an unverifiable request is refused
        if (!verified.bySecret.some(Boolean)) step = { status: 401, body: "invalid signature" };
      }
      b.log.push({
        verified,
        method: req.method, path: req.url, headers: req.headers, body: body.toString("utf8"), at: Date.now(),
        status: step.reset ? "reset" : step.status ?? 200,
        delay_ms: step.delay_ms ?? 0,
      });
      const reply = () => {
        if (step.reset) {
          req.socket.destroy();
          return;
        }
        res.writeHead(step.status ?? 200, step.headers ?? {});
        res.end(step.body ?? "");
      };
      if (step.delay_ms) setTimeout(reply, step.delay_ms);
      else reply();
    });
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve({ server, port: server.address().port, close: () => new Promise((r) => server.close(r)) }));
  });
}
