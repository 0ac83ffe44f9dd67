/**
 * The BIMData façade, driven by BIMData's official client (@bimdata/typescript-fetch-api-client):
 * every WebhookApi method, for cloud and project webhooks, with only the base URL and token swapped.
 * Deliveries are checked with BIMData's own signature code (test/seed-verifiers.mjs).
 */
import { exports } from "cloudflare:workers";
import { Configuration, WebhookApi } from "@bimdata/typescript-fetch-api-client";
import { describe, expect, it } from "vitest";
import { atLeast, boxUrl, call, json, newBox, newTenant, publish, received, script, waitFor, type Received } from "../helpers";

const worker = exports as unknown as { default: { fetch(r: Request): Promise<Response> } };

/** The client as a BIMData user builds it, pointed at Hookline; requests go through the Worker's fetch handler. */
function bimdataClient(key: string) {
  return new WebhookApi(new Configuration({
    basePath: "http://hookline.test/compat/bimdata",
    headers: { Authorization: `Bearer ${key}` },
    // workerd's Request has no `credentials`; the client always passes one (undefined)
    fetchApi: (url: string, { credentials: _c, ...init }: RequestInit & { credentials?: unknown }) => worker.default.fetch(new Request(url, init)),
  }));
}

const posts = (log: Received[]) => log.filter((r) => r.method === "POST");
const bodies = (log: Received[]) => posts(log).map((r) => JSON.parse(r.body));
function verified(r: Received) {
  expect(r.status).toBe(200);
  expect(r.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
}
async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof Response) return err.status; // this client throws the Response of any non-2xx answer
    throw err;
  }
}

describe("BIMData façade, through the official client", () => {
  it("creates, lists, gets, updates, pings and deletes cloud and project webhooks; each gets its own events, signed", async () => {
    const t = await newTenant();
    const api = bimdataClient(t.manageKey);
    const cloudBox = newBox("bimcloud");
    const projectBox = newBox("bimproj");
    const cloudSecret = "cloud-secret-0123456789";
    const projectSecret = "project-secret-9876543210";
    await script(cloudBox, [], { status: 200 }, { profile: "bimdata", secrets: [cloudSecret] });
    await script(projectBox, [], { status: 200 }, { profile: "bimdata", secrets: [projectSecret] });

    const cloudHook = await api.createWebHook(88, { url: boxUrl(cloudBox), events: ["bcf.topic.creation", "project.update"], secret: cloudSecret });
    expect(cloudHook).toEqual({ id: expect.any(Number), url: boxUrl(cloudBox), events: ["bcf.topic.creation", "project.update"], secret: cloudSecret });
    const projectHook = await api.createProjectWebHook(88, 12, { url: boxUrl(projectBox), events: ["bcf.topic.creation", "project.update"], secret: projectSecret });
    expect(projectHook).toMatchObject({ id: expect.any(Number), url: boxUrl(projectBox), secret: projectSecret });
    expect(projectHook.id).not.toBe(cloudHook.id);

    // Lists and gets answer in the client's WebHook model, each webhook under its own cloud or project only.
    expect(await api.getWebHooks(88)).toEqual([{ id: cloudHook.id, url: boxUrl(cloudBox), events: ["bcf.topic.creation", "project.update"], secret: undefined }]);
    expect(await api.getProjectWebHooks(88, 12)).toEqual([{ id: projectHook.id, url: boxUrl(projectBox), events: ["bcf.topic.creation", "project.update"], secret: undefined }]);
    expect(await api.getProjectWebHooks(88, 13)).toEqual([]);
    expect(await api.getWebHooks(89)).toEqual([]);
    expect((await api.getWebHook(88, cloudHook.id)).url).toBe(boxUrl(cloudBox));
    expect((await api.getProjectWebHook(88, projectHook.id, 12)).url).toBe(boxUrl(projectBox));
    expect(await status(api.getWebHook(88, projectHook.id))).toBe(404);
    expect(await status(api.getProjectWebHook(88, cloudHook.id, 12))).toBe(404);
    expect(await status(api.getProjectWebHook(88, projectHook.id, 13))).toBe(404);
    expect(await status(api.getWebHook(89, cloudHook.id))).toBe(404);

    // A project's events carry the channel "cloud/project"; cloud-level events carry the cloud.
    await publish(t, { type: "bcf.topic.creation", channel: "88/12", data: { guid: "in-project-12" } });
    await publish(t, { type: "bcf.topic.creation", channel: "88/13", data: { guid: "in-project-13" } });
    await publish(t, { type: "project.update", channel: "88", data: { id: 88, name: "cloud-level" } });
    await publish(t, { type: "bcf.topic.creation", channel: "89/12", data: { guid: "other cloud" } });
    const cloudLog = await waitFor(cloudBox, atLeast(3));
    const projectLog = await waitFor(projectBox, atLeast(1));
    for (const r of [...posts(cloudLog), ...posts(projectLog)]) verified(r);
    expect(posts(cloudLog).map((r) => r.body)).toEqual([
      JSON.stringify({ event_name: "bcf.topic.creation", cloud_id: 88, data: { guid: "in-project-12" } }),
      JSON.stringify({ event_name: "bcf.topic.creation", cloud_id: 88, data: { guid: "in-project-13" } }),
      JSON.stringify({ event_name: "project.update", cloud_id: 88, data: { id: 88, name: "cloud-level" } }),
    ]);
    expect(bodies(projectLog)).toEqual([{ event_name: "bcf.topic.creation", cloud_id: 88, data: { guid: "in-project-12" } }]);

    // PATCH (updateWebHook / updateProjectWebHook); a new secret is shown once and signs from then on.
    const patched = await api.updateWebHook(88, cloudHook.id, { events: ["bcf.topic.update"] });
    expect(patched).toEqual({ id: cloudHook.id, url: boxUrl(cloudBox), events: ["bcf.topic.update"], secret: undefined });
    const newProjectSecret = "project-secret-rotated-42";
    const patchedProject = await api.updateProjectWebHook(88, projectHook.id, 12, { events: ["bcf.topic.update"], secret: newProjectSecret });
    expect(patchedProject).toEqual({ id: projectHook.id, url: boxUrl(projectBox), events: ["bcf.topic.update"], secret: newProjectSecret });
    await script(projectBox, [], { status: 200 }, { profile: "bimdata", secrets: [newProjectSecret] });

    // ping / pingProjectWebHook answer the WebHook and send {"ok": true}, signed.
    expect(await api.pingWebHook(88, cloudHook.id, { url: boxUrl(cloudBox), events: ["bcf.topic.update"], secret: cloudSecret })).toEqual(patched);
    expect((await api.pingProjectWebHook(88, projectHook.id, 12, { url: boxUrl(projectBox), events: ["bcf.topic.update"], secret: newProjectSecret })).id).toBe(projectHook.id);
    const cloudPing = (await waitFor(cloudBox, atLeast(4))).filter((r) => r.method === "POST")[3]!;
    const projectPing = (await waitFor(projectBox, atLeast(2))).filter((r) => r.method === "POST")[1]!;
    verified(cloudPing);
    verified(projectPing);
    expect(JSON.parse(cloudPing.body)).toEqual({ event_name: "ping", cloud_id: 88, data: { ok: true } });
    expect(JSON.parse(projectPing.body)).toEqual({ event_name: "ping", cloud_id: 88, data: { ok: true } });

    // The same hooks through /v1.
    const v1 = (await json(call("/v1/hooks", { key: t.key }))).data;
    expect(v1.map((h: any) => [h.alias, h.channels, h.profile])).toEqual(expect.arrayContaining([
      [String(cloudHook.id), ["88", "88/*"], "bimdata"],
      [String(projectHook.id), ["88/12"], "bimdata"],
    ]));

    // delete / deleteProjectWebHook: 204, then gone; a webhook is deleted only under its own path.
    expect(await status(api.deleteProjectWebHook(88, cloudHook.id, 12))).toBe(404);
    await api.deleteWebHook(88, cloudHook.id);
    await api.deleteProjectWebHook(88, projectHook.id, 12);
    expect(await status(api.getWebHook(88, cloudHook.id))).toBe(404);
    expect(await status(api.getProjectWebHook(88, projectHook.id, 12))).toBe(404);
    expect(await api.getWebHooks(88)).toEqual([]);
    await publish(t, { type: "bcf.topic.update", channel: "88/12", data: { guid: "after delete" } });
    await new Promise((r) => setTimeout(r, 1500)); // past the 1 s order window, so a delivery would have left
    expect(posts(await received(cloudBox))).toHaveLength(4);
    expect(posts(await received(projectBox))).toHaveLength(2);
  }, 30_000);

  it("refuses what BIMData refuses: unknown events, no key, another tenant's webhook, a key without webhook:manage", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const api = bimdataClient(a.manageKey);
    expect(await status(api.createWebHook(1, { url: "http://127.0.0.1:9/x", events: ["bcf.topic.exploded"], secret: "a-secret-1234" }))).toBe(422);
    const hook = await api.createWebHook(1, { url: "http://127.0.0.1:9/x", events: ["project.update"], secret: "a-secret-1234" });
    expect(await status(bimdataClient(b.manageKey).getWebHook(1, hook.id))).toBe(404);
    expect(await status(bimdataClient(b.manageKey).deleteWebHook(1, hook.id))).toBe(404);
    expect(await status(bimdataClient(a.publishKey).getWebHooks(1))).toBe(403);
    expect(await status(bimdataClient("hk_not_a_key").getWebHooks(1))).toBe(401);
    const res = await call("/compat/bimdata/cloud/1/webhook", { key: a.manageKey, raw: "{not json", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await call("/compat/bimdata/cloud/abc/project/1/webhook", { key: a.manageKey })).status).toBe(422);
  });
});
