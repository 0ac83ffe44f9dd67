/**
 * The documented test vectors (docs/signatures.md, computed with node:crypto) against Hookline's
 * signer, and every answer of hookline/verify, accepting and refusing.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import doc from "../../docs/signatures.md?raw";
import { standard, signingKeyPairFromSeed } from "../../src/core/profiles/standard";
import { verify, verifyRequest, type VerifyProfile } from "hookline/verify";

/** `name   value` lines of the doc's code blocks. */
function docValue(name: string): string {
  const m = doc.match(new RegExp(`^${name.replace(/[$_]/g, "\\$&")}\\s+(.+)$`, "m"));
  if (!m) throw new Error(`docs/signatures.md has no line for ${name}`);
  return m[1]!.replace(/\s+\(.*\)$/, "").trim();
}

const V = {
  seed: docValue("seed \\(hex\\)"),
  whsk: docValue("whsk_"),
  whpk: docValue("whpk_"),
  whsec: docValue("whsec_"),
  id: docValue("webhook-id"),
  ts: Number(docValue("webhook-timestamp")),
  body: docValue("body"),
  v1: docValue("v1"),
  v1a: docValue("v1a"),
  both: docValue("both"),
};
const AT = V.ts * 1000;
const headersFor = (signature: string, ts = V.ts, id = V.id) => ({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature });
const hexToBytes = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

describe("docs/signatures.md test vectors", () => {
  it("the key pair from the RFC 8032 seed is the documented whsk_/whpk_, and whpk_ is the RFC's public key", async () => {
    const pair = await signingKeyPairFromSeed(hexToBytes(V.seed));
    expect(pair).toEqual({ secretKey: V.whsk, publicKey: V.whpk });
    // RFC 8032 §7.1 TEST 1 PUBLIC KEY
    const pub = Uint8Array.from(atob(V.whpk.slice(5)), (c) => c.charCodeAt(0));
    expect([...pub].map((b) => b.toString(16).padStart(2, "0")).join("")).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  });

  it("Hookline signs the documented message to exactly the documented v1, v1a and both headers", async () => {
    const ev = { id: V.id, type: "contact.created", timestamp: 0, data: null };
    const sign = (keys: string[]) => standard.sign(keys, V.body, ev, AT);
    expect(await sign([V.whsec])).toEqual({ "webhook-signature": V.v1 });
    expect(await sign([V.whsk])).toEqual({ "webhook-signature": V.v1a });
    expect(await sign([V.whsec, V.whsk])).toEqual({ "webhook-signature": V.both });
    expect(V.both).toBe(`${V.v1} ${V.v1a}`);
  });

  it("the v1 vector verifies with the published standardwebhooks package", () => {
    expect(new Webhook(V.whsec).sign(V.id, new Date(AT), V.body)).toBe(V.v1);
  });

  it("fresh key pairs are whsk_ (64 bytes) / whpk_ (32 bytes) and differ per call", async () => {
    const { newSigningKeyPair } = await import("../../src/core/profiles/standard");
    const [a, b] = await Promise.all([newSigningKeyPair(), newSigningKeyPair()]);
    expect(atob(a.secretKey.slice(5)).length).toBe(64);
    expect(atob(a.publicKey.slice(5)).length).toBe(32);
    expect(a.publicKey).not.toBe(b.publicKey);
    const sig = (await standard.sign([a.secretKey], "{}", { id: "evt_1", type: "x", timestamp: 0, data: null }, AT))["webhook-signature"]!;
    expect(await verify("standard", a.publicKey, headersFor(sig, V.ts, "evt_1"), "{}", { now: AT })).toMatchObject({ ok: true, scheme: "v1a" });
    expect(await verify("standard", b.publicKey, headersFor(sig, V.ts, "evt_1"), "{}", { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });
});

describe("hookline/verify: standard v1 and v1a", () => {
  it("accepts the v1 vector with the whsec_ secret and the v1a vector with the whpk_ public key", async () => {
    expect(await verify("standard", V.whsec, headersFor(V.v1), V.body, { now: AT })).toEqual({
      ok: true, profile: "standard", scheme: "v1", keyIndex: 0, id: V.id, timestamp: V.ts,
    });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT })).toEqual({
      ok: true, profile: "standard", scheme: "v1a", keyIndex: 0, id: V.id, timestamp: V.ts,
    });
    // `both`: each kind of key finds its own entry
    expect(await verify("standard", V.whpk, headersFor(V.both), V.body, { now: AT })).toMatchObject({ ok: true, scheme: "v1a" });
    expect(await verify("standard", V.whsec, headersFor(V.both), V.body, { now: AT })).toMatchObject({ ok: true, scheme: "v1" });
  });

  it("takes Headers, Node-style header objects in any case, and bytes", async () => {
    const h = new Headers(headersFor(V.v1a));
    expect((await verify("standard", V.whpk, h, new TextEncoder().encode(V.body), { now: AT })).ok).toBe(true);
    const upper = { "Webhook-Id": V.id, "WEBHOOK-TIMESTAMP": String(V.ts), "Webhook-Signature": [V.v1a] };
    expect((await verify("standard", V.whpk, upper, new TextEncoder().encode(V.body).buffer as ArrayBuffer, { now: AT })).ok).toBe(true);
    const req = new Request("http://receiver.test/hook", { method: "POST", headers: headersFor(V.v1a), body: V.body });
    expect(await verifyRequest("standard", V.whpk, req, { now: AT })).toMatchObject({ ok: true, scheme: "v1a", body: V.body });
  });

  it("refuses a tampered body, a wrong key, and says which", async () => {
    const tampered = V.body.replace("contact.created", "contact.deleted");
    expect(await verify("standard", V.whpk, headersFor(V.v1a), tampered, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("standard", V.whsec, headersFor(V.v1), tampered, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    const other = await signingKeyPairFromSeed(new Uint8Array(32).fill(7));
    expect(await verify("standard", other.publicKey, headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("standard", "whsec_" + btoa("x".repeat(32)), headersFor(V.v1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    // a changed id or timestamp is a different message
    expect(await verify("standard", V.whpk, headersFor(V.v1a, V.ts + 1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("standard", V.whpk, headersFor(V.v1a, V.ts, "msg_other"), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    // a v1a signature cut short or not base64 does not match (and does not throw)
    expect(await verify("standard", V.whpk, headersFor(V.v1a.slice(0, 40)), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("standard", V.whpk, headersFor("v1a,***"), V.body, { now: AT })).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("refuses timestamps outside ±5 minutes by default, and follows toleranceS", async () => {
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT + 300_000 })).toMatchObject({ ok: true });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT + 301_000 })).toMatchObject({ ok: false, reason: "timestamp_too_old" });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT - 301_000 })).toMatchObject({ ok: false, reason: "timestamp_too_new" });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT + 3_600_000, toleranceS: 3600 })).toMatchObject({ ok: true });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body, { now: AT + 11_000, toleranceS: 10 })).toMatchObject({ ok: false, reason: "timestamp_too_old" });
    // the default clock is the real one: the 2023 vector is stale today
    expect(await verify("standard", V.whpk, headersFor(V.v1a), V.body)).toMatchObject({ ok: false, reason: "timestamp_too_old" });
  });

  it("accepts a list of keys (rotation) and reports which one matched", async () => {
    const other = await signingKeyPairFromSeed(new Uint8Array(32).fill(9));
    expect(await verify("standard", [other.publicKey, V.whpk], headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: true, keyIndex: 1 });
    expect(await verify("standard", [V.whsec, V.whpk], headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: true, scheme: "v1a", keyIndex: 1 });
  });

  it("says when the header has no signature of the key's kind", async () => {
    expect(await verify("standard", V.whpk, headersFor(V.v1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "no_signature_for_key" });
    expect(await verify("standard", V.whsec, headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: false, reason: "no_signature_for_key" });
  });

  it("refuses missing and malformed headers, bad keys, bad bodies and unknown profiles", async () => {
    const { "webhook-id": _, ...noId } = headersFor(V.v1a);
    expect(await verify("standard", V.whpk, noId, V.body, { now: AT })).toMatchObject({ ok: false, reason: "missing_header", message: "missing webhook-id" });
    expect(await verify("standard", V.whpk, {}, V.body, { now: AT })).toMatchObject({ ok: false, reason: "missing_header" });
    expect(await verify("standard", V.whpk, headersFor(V.v1a, "12.5" as unknown as number), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_header" });
    expect(await verify("standard", V.whpk, { ...headersFor(V.v1a), "webhook-signature": [V.v1a, V.v1a] }, V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_header" });
    expect(await verify("standard", V.whsk, headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_key" });
    expect(await verify("standard", "whpk_AAAA", headersFor(V.v1a), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_key" });
    expect(await verify("standard", "whsec_!!", headersFor(V.v1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_key" });
    expect(await verify("standard", "", headersFor(V.v1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_key" });
    expect(await verify("standard", [], headersFor(V.v1), V.body, { now: AT })).toMatchObject({ ok: false, reason: "invalid_key" });
    expect(await verify("standard", V.whpk, headersFor(V.v1a), { not: "bytes" } as unknown as string, { now: AT })).toMatchObject({ ok: false, reason: "invalid_body" });
    expect(await verify("standard", V.whpk, null as unknown as Headers, V.body)).toMatchObject({ ok: false, reason: "invalid_header" });
    expect(await verify("svix" as VerifyProfile, V.whpk, headersFor(V.v1a), V.body)).toMatchObject({ ok: false, reason: "unknown_profile" });
    expect(await verify("__proto__" as VerifyProfile, "k", {}, "")).toMatchObject({ ok: false, reason: "unknown_profile" });
  });
});

describe("hookline/verify: the five seed formats", () => {
  const secret = "3f1e9a2b7c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
  /** body line, then signature line, after the profile name in the doc's seed block */
  function seedVector(profile: string): { body: string; sig: string } {
    const m = doc.match(new RegExp(`^${profile}\\s+(\\S.*)\\n\\s+(\\S+)$`, "m"));
    if (!m) throw new Error(`no ${profile} vector in docs/signatures.md`);
    return { body: m[1]!, sig: m[2]! };
  }
  const HEADER: Record<string, string> = {
    bimdata: "x-bimdata-signature", itwin: "Signature", speckle: "X-WEBHOOK-SIGNATURE", idfy: "X-Idfy-Signature", propstack: "X-Propstack-Signature",
  };

  for (const profile of ["bimdata", "itwin", "speckle", "idfy", "propstack"] as const) {
    it(`${profile}: accepts the documented vector, refuses a tampered body, a wrong secret and a missing header`, async () => {
      const { body, sig } = seedVector(profile === "propstack" ? "propstack" : profile);
      const headers = { [HEADER[profile]!]: sig };
      expect(await verify(profile, secret, headers, body)).toEqual({ ok: true, profile, scheme: "hmac-sha256", keyIndex: 0 });
      expect(await verify(profile, ["old-secret-1", secret], headers, body)).toMatchObject({ ok: true, keyIndex: 1 });
      const tampered = body.replace(/"[^"]*"/, (s) => s.toUpperCase());
      expect(tampered).not.toBe(body);
      expect(await verify(profile, secret, headers, tampered)).toMatchObject({ ok: false, reason: profile === "speckle" ? "invalid_body" : "signature_mismatch" });
      expect(await verify(profile, secret.replace("3f", "4f"), headers, body)).toMatchObject({ ok: false, reason: "signature_mismatch" });
      expect(await verify(profile, secret, {}, body)).toMatchObject({ ok: false, reason: "missing_header" });
    });
  }

  it("speckle: a change inside the payload string is a mismatch; a body that is not {payload: string} is invalid", async () => {
    const { body, sig } = seedVector("speckle");
    const inner = JSON.parse(body).payload as string;
    const changed = JSON.stringify({ payload: inner.replace("s1", "s2") });
    expect(await verify("speckle", secret, { "x-webhook-signature": sig }, changed)).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("speckle", secret, { "x-webhook-signature": sig }, JSON.stringify({ payload: { a: 1 } }))).toMatchObject({ ok: false, reason: "invalid_body" });
  });

  it("itwin: the value must carry sha256=", async () => {
    const { body, sig } = seedVector("itwin");
    expect(await verify("itwin", secret, { signature: sig.slice(7) }, body)).toMatchObject({ ok: false, reason: "invalid_header" });
    expect(await verify("itwin", secret, { signature: sig.toUpperCase().replace("SHA256=", "sha256=") }, body)).toMatchObject({ ok: true });
    // iTwin v2 hooks sign the same way
    expect(await verify("itwin_v2", secret, { signature: sig }, body)).toEqual({ ok: true, profile: "itwin_v2", scheme: "hmac-sha256", keyIndex: 0 });
  });
});
