// `npm start`: local Hookline in one command.
// Creates .dev.vars with fresh secrets and the development vars when missing, applies local D1 migrations,
// prints the URL and operator token, then runs `wrangler dev` (with cron testing on).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const port = process.env.PORT ?? "8787";
const varsFile = join(root, ".dev.vars");

// wrangler.toml's top level is production-safe (private targets refused, a public https URL);
// local development needs the opposite, and gets it from .dev.vars, which is never deployed.
const devDefaults = {
  ADMIN_TOKEN: () => `dev_${randomBytes(18).toString("hex")}`,
  ENCRYPTION_KEY: () => randomBytes(32).toString("base64"),
  ALLOW_PRIVATE_TARGETS: () => "true",
  PUBLIC_URL: () => `http://localhost:${port}`,
};
const readVars = () =>
  existsSync(varsFile)
    ? Object.fromEntries(
        readFileSync(varsFile, "utf8").split("\n").filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      )
    : {};
const missing = Object.keys(devDefaults).filter((k) => !(k in readVars()));
if (missing.length) {
  const existing = existsSync(varsFile) ? readFileSync(varsFile, "utf8") : "";
  const lines = missing.map((k) => `${k}=${devDefaults[k]()}`).join("\n");
  writeFileSync(varsFile, `${existing}${existing && !existing.endsWith("\n") ? "\n" : ""}${lines}\n`);
  console.log(`Wrote ${missing.join(", ")} to .dev.vars (development values; see .dev.vars.example).`);
}
const vars = readVars();

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
  cwd: root, stdio: "inherit", env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

console.log(`
  Hookline is starting on http://localhost:${port}
  Operator token (ADMIN_TOKEN): ${vars.ADMIN_TOKEN}
  OpenAPI: http://localhost:${port}/openapi.json
  Trigger cron: curl "http://localhost:${port}/__scheduled?cron=*/5+*+*+*+*"
`);

const dev = spawn(wrangler, ["dev", "--test-scheduled", "--port", port, "--ip", "127.0.0.1", ...process.argv.slice(2)], {
  cwd: root, stdio: "inherit",
});
const stop = () => dev.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
dev.on("exit", (code) => process.exit(code ?? 0));
