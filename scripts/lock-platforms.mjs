// The npm registry this project's machines reach serves workerd's Linux binaries only, so a
// lock written here lacks workerd's macOS/Windows optional packages — and `npm ci` then refuses
// the lock as "out of sync". This adds those entries (version, os, cpu; no tarball) next to each
// workerd in package-lock.json. npm never fetches them on Linux (they are for another platform),
// and on macOS/Windows with the public registry they resolve normally. Run after `npm install`
// changes the lock: `node scripts/lock-platforms.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = {
  "@cloudflare/workerd-darwin-64": { os: ["darwin"], cpu: ["x64"] },
  "@cloudflare/workerd-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "@cloudflare/workerd-windows-64": { os: ["win32"], cpu: ["x64"] },
};
const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  if (!path.endsWith("node_modules/workerd") || !pkg.optionalDependencies) continue;
  const prefix = path.slice(0, -"workerd".length);
  for (const [name, spec] of Object.entries(pkg.optionalDependencies)) {
    const platform = PLATFORMS[name];
    const key = `${prefix}${name}`;
    if (!platform || lock.packages[key]) continue;
    lock.packages[key] = { version: spec, dev: true, license: "Apache-2.0", optional: true, ...platform, engines: { node: ">=16" } };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`lock-platforms: ${added} entries added`);
