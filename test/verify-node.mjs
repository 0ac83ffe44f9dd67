// Runs under the machine's own Node (not the `node` devDependency): hookline/verify and
// hookline/client, imported by their package names as a receiver or caller would.
// stdin: {"cases":[{profile,key,wrongKey,headers,body}], "api":{baseUrl,apiKey,hookId}}
// stdout: {"node": "<version>", "results":[{accepted, tampered, wrongKey, stale}], "hook": {...}}
import { createClient } from "hookline/client";
import { verify } from "hookline/verify";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { cases, api } = JSON.parse(input);

const results = [];
for (const c of cases) {
  const tampered = c.body.replace(/"[a-z]/, (s) => s.toUpperCase());
  results.push({
    accepted: await verify(c.profile, c.key, c.headers, c.body),
    tampered: await verify(c.profile, c.key, c.headers, tampered),
    wrongKey: await verify(c.profile, c.wrongKey, c.headers, c.body),
    stale: await verify(c.profile, c.key, c.headers, c.body, { now: Date.now() + 10 * 60_000 }),
  });
}
const { data: hook, error } = await createClient({ baseUrl: api.baseUrl, apiKey: api.apiKey })
  .GET("/v1/hooks/{id}", { params: { path: { id: api.hookId } } });
process.stdout.write(JSON.stringify({ node: process.version, results, hook: hook ?? error }));
