import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, script, waitFor, type Received, type Tenant,
} from "../helpers";

/** Create a hook with `profile`, teach the receiver that seed's check, publish, return what arrived. */
async function roundTrip(t: Tenant, profile: string, hookExtra: Record<string, unknown>, events: Record<string, unknown>[]) {
  const box = newBox(profile);
  const hook = await createHook(t, { url: boxUrl(box), events: ["*"], profile, validation: "none", order_window_ms: 0, ...hookExtra });
  if (hook.secret) await script(box, [], { status: 200 }, { profile, secrets: [hook.secret] });
  for (const ev of events) await publish(t, ev);
  const log = await waitFor(box, atLeast(events.length));
  return { hook, log };
}

function expectVerified(r: Received) {
  expect(r.status).toBe(200);
  expect(r.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
}

const sunflower = "Golden Nugget \ud83c\udf3b"; // the Speckle example's surrogate pair

describe("seed profiles: envelope and signature, checked by each seed's own verification code", () => {
  it("BIMData: {event_name, cloud_id, data}, hex x-bimdata-signature over the body", async () => {
    const t = await newTenant();
    const data = { topic: { guid: "a1", title: "Clash" } };
    const { log } = await roundTrip(t, "bimdata", { events: ["bcf.topic.*"], channels: ["88"] }, [
      { type: "bcf.topic.creation", channel: "88", data },
    ]);
    expectVerified(log[0]!);
    expect(log[0]!.body).toBe(JSON.stringify({ event_name: "bcf.topic.creation", cloud_id: 88, data }));
    expect(log[0]!.headers["x-bimdata-signature"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("iTwin v1: {content, contentType, enqueuedDateTime, messageId, subscriptionId}, Signature: sha256=<hex>", async () => {
    const t = await newTenant();
    const content = { iModelId: "m1", changesetId: "c9" };
    const { hook, log } = await roundTrip(t, "itwin", {}, [{ id: "msg-1", type: "ChangesetPushedEvent", channel: "m1", data: content }]);
    expectVerified(log[0]!);
    const body = JSON.parse(log[0]!.body);
    expect(Object.keys(body)).toEqual(["content", "contentType", "enqueuedDateTime", "messageId", "subscriptionId"]);
    expect(body).toMatchObject({ content, contentType: "ChangesetPushedEvent", messageId: "msg-1", subscriptionId: hook.id });
    expect(new Date(body.enqueuedDateTime).toISOString()).toBe(body.enqueuedDateTime);
    expect(log[0]!.headers["signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("Speckle: {\"payload\": \"<JSON string>\"}, X-WEBHOOK-SIGNATURE over the inner string, user secret, surrogate pairs", async () => {
    const t = await newTenant();
    const data = { old: { id: "48364aff6b", name: sunflower }, new: { id: "48364aff6b", name: sunflower, description: "revit model for cool and \ngood times \ud83c\udf1e" } };
    const { hook, log } = await roundTrip(t, "speckle", { secret: "my-speckle-secret", channels: ["48364aff6b"], description: "CI trigger" }, [
      { type: "stream_update", channel: "48364aff6b", actor: "1234abcdef", summary: "Stream metadata changed", data },
    ]);
    expectVerified(log[0]!);
    const outer = JSON.parse(log[0]!.body);
    expect(Object.keys(outer)).toEqual(["payload"]);
    expect(typeof outer.payload).toBe("string");
    const inner = JSON.parse(outer.payload);
    expect(Object.keys(inner)).toEqual(["streamId", "userId", "activityMessage", "event", "server", "stream", "user", "webhook"]);
    expect(inner).toMatchObject({
      streamId: "48364aff6b", userId: "1234abcdef", activityMessage: "Stream metadata changed",
      event: { event_name: "stream_update", data }, webhook: { id: hook.id, description: "CI trigger" },
    });
    expect(inner.event.data.old.name).toBe("Golden Nugget 🌻");
  });

  it("Speckle counts only 200–204 as success", async () => {
    const t = await newTenant();
    const box = newBox("sp206");
    await script(box, [{ status: 206 }], { status: 204 });
    await createHook(t, { url: boxUrl(box), profile: "speckle", secret: null, retry_schedule: [0, 0], order_window_ms: 0 });
    await publish(t, { type: "commit_create", channel: "s1" });
    const log = await waitFor(box, atLeast(2));
    expect(log.map((r) => r.status)).toEqual([206, 204]);
    expect(log[0]!.headers["x-webhook-signature"]).toBeUndefined(); // no secret → no signature
  });

  it("Idfy: {id, timestamp, type, payload}, X-Idfy-Signature over the body", async () => {
    const t = await newTenant();
    const payload = { documentId: "8bfae710-5e4b-4464-ab7a-167f73c37590", externalDocumentId: "8577545740" };
    const { log } = await roundTrip(t, "idfy", {}, [
      { id: "fce05bc5-0c13-42fd-96e2-bc51c8975eb1", type: "document_created", occurred_at: "2017-10-30T09:00:00Z", data: payload },
    ]);
    expectVerified(log[0]!);
    expect(log[0]!.body).toBe(JSON.stringify({ id: "fce05bc5-0c13-42fd-96e2-bc51c8975eb1", timestamp: "2017-10-30T09:00:00Z", type: "document_created", payload }));
  });

  it("Propstack: the record plus changed_attributes on *_updated; X-Propstack-Signature only with a secret", async () => {
    const t = await newTenant();
    const record = { id: 10, title: "Altbau", price: 450000 };
    const { log } = await roundTrip(t, "propstack", {}, [
      { type: "property_updated", changed_attributes: ["price"], data: record },
      { type: "property_created", data: record },
    ]);
    expectVerified(log[0]!);
    expect(JSON.parse(log[0]!.body)).toEqual({ ...record, changed_attributes: ["price"] });
    expect(JSON.parse(log[1]!.body)).toEqual(record);

    const unsigned = await roundTrip(t, "propstack", { secret: null, events: ["client_created"] }, [{ type: "client_created", data: { id: 1 } }]);
    expect(unsigned.log[0]!.headers["x-propstack-signature"]).toBeUndefined();
    expect(unsigned.log[0]!.body).toBe('{"id":1}');
  });

  it("every request carries content-type, user-agent, webhook-id, webhook-timestamp and the hook's headers", async () => {
    const t = await newTenant();
    const { log } = await roundTrip(t, "bimdata", { headers: { "X-Team": "blue" } }, [{ id: "evt-h", type: "project.update", data: {} }]);
    const h = log[0]!.headers;
    expect(h["content-type"]).toBe("application/json");
    expect(h["user-agent"]).toMatch(/^Hookline\/\d/);
    expect(h["webhook-id"]).toBe("evt-h");
    expect(Math.abs(Number(h["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(h["x-team"]).toBe("blue");
  });
});

describe("payload edge cases sign and verify in every profile", () => {
  const big = "é".repeat(50 * 1024 - 20); // ≈ 100 KiB of UTF-8
  for (const profile of ["standard", "bimdata", "itwin", "speckle", "idfy", "propstack"]) {
    it(`${profile}: emoji, surrogate pairs, an empty object and a ~100 KiB payload`, async () => {
      const t = await newTenant();
      const { log } = await roundTrip(t, profile, {}, [
        { type: "x_updated", data: { s: `🚀 ${sunflower} 中文` } },
        { type: "x_updated", data: {} },
        { type: "x_updated", data: { big } },
      ]);
      for (const r of log) expectVerified(r);
      expect(log[2]!.body.length).toBeGreaterThan(50 * 1024);
    });
  }
});

describe("secret rotation", () => {
  it("standard sends both signatures for 24 h; the package verifies with the old and the new secret", async () => {
    const t = await newTenant();
    const box = newBox("rot");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    const { secret: fresh } = await json(call(`/v1/hooks/${hook.id}/rotate-secret`, { method: "POST", key: t.key }));
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(hook.secret);
    await script(box, [], { status: 200 }, { profile: "standard", secrets: [hook.secret, fresh] });
    await publish(t, { type: "x", data: { after: "rotation" } });
    const [r] = await waitFor(box, atLeast(1));
    expect(r!.verified!.bySecret).toEqual([true, true]);
    expect(r!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(fresh).verify(r!.body, r!.headers)).toMatchObject({ data: { after: "rotation" } });
  });

  it("hex profiles sign with the new secret only", async () => {
    const t = await newTenant();
    const box = newBox("rothex");
    const hook = await createHook(t, { url: boxUrl(box), profile: "idfy", order_window_ms: 0 });
    const { secret: fresh } = await json(call(`/v1/hooks/${hook.id}/rotate-secret`, { method: "POST", key: t.key }));
    await script(box, [], { status: 200 }, { profile: "idfy", secrets: [fresh, hook.secret] });
    await publish(t, { type: "document_signed", data: {} });
    const [r] = await waitFor(box, atLeast(1));
    expect(r!.verified!.bySecret).toEqual([true, false]);
  });
});

describe("filters and channels", () => {
  it("a property_updated hook filtered on changed_attributes [price] gets the price change, not the title change", async () => {
    const t = await newTenant();
    const box = newBox("price");
    await createHook(t, { url: boxUrl(box), profile: "propstack", secret: null, events: ["property_updated"], filter: { changed_attributes: ["price"] }, order_window_ms: 0 });
    await publish(t, { type: "property_updated", changed_attributes: ["title"], data: { id: 1, title: "New title" } });
    await publish(t, { type: "property_updated", changed_attributes: ["price"], data: { id: 1, price: 1 } });
    await publish(t, { type: "property_created", data: { id: 2 } });
    const log = await waitFor(box, atLeast(1));
    await new Promise((r) => setTimeout(r, 500));
    expect((await waitFor(box, atLeast(1))).map((r) => JSON.parse(r.body))).toEqual([{ id: 1, price: 1, changed_attributes: ["price"] }]);
    expect(log.length).toBe(1);
  });

  it("channels route a BIMData cloud's events to that cloud's hooks only; data conditions filter", async () => {
    const t = await newTenant();
    const a = newBox("cloudA");
    const b = newBox("cloudB");
    await createHook(t, { url: boxUrl(a), profile: "bimdata", channels: ["1"], events: ["document.*"], order_window_ms: 0 });
    await createHook(t, { url: boxUrl(b), profile: "bimdata", channels: ["2"], events: ["document.*"], filter: { data: { "file.size": { $gt: 100 } } }, order_window_ms: 0 });
    await publish(t, { type: "document.creation", channel: "1", data: { file: { size: 10 } } });
    await publish(t, { type: "document.creation", channel: "2", data: { file: { size: 10 } } });
    await publish(t, { type: "document.creation", channel: "2", data: { file: { size: 1000 } } });
    const la = await waitFor(a, atLeast(1));
    const lb = await waitFor(b, atLeast(1));
    await new Promise((r) => setTimeout(r, 500));
    expect(la.map((r) => JSON.parse(r.body).cloud_id)).toEqual([1]);
    expect((await waitFor(b, atLeast(1))).map((r) => JSON.parse(r.body).data.file.size)).toEqual([1000]);
    expect(lb.length).toBe(1);
  });
});

describe("event type catalogue", () => {
  it("ships each seed's event names as presets and can import them", async () => {
    const t = await newTenant();
    const counts: Record<string, number> = { bimdata: 17, itwin: 5, idfy: 8, propstack: 18 };
    for (const [profile, n] of Object.entries(counts)) {
      const p = await json(call(`/v1/event-types/presets/${profile}`, { key: t.key }));
      expect(p.names, profile).toHaveLength(n);
    }
    const imported = await json(call("/v1/event-types/import/idfy", { method: "POST", key: t.key }));
    expect(imported.data.map((e: any) => e.name)).toContain("document_signed");
  });

  it("with strict types on, publishing an unknown type is refused; known types pass", async () => {
    const tenant = await json(call("/v1/tenants", { key: "test-operator-token", body: { name: "strict", strict_types: true } }));
    const key = (await json(call(`/v1/tenants/${tenant.id}/api-keys`, { key: "test-operator-token", body: { scopes: ["webhook:manage", "events:publish"] } }))).key;
    await call("/v1/event-types/import/propstack", { method: "POST", key });
    expect((await call("/v1/events", { key, body: { type: "property_updated" } })).status).toBe(202);
    const res = await call("/v1/events", { key, body: { type: "property_exploded" } });
    expect(res.status).toBe(422);
    expect((await res.json<any>()).detail).toMatch(/property_exploded/);
  });
});
