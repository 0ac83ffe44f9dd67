// Receiver-side signature checks, written exactly as each seed document shows them
// (../shared/seeds), translated to node:crypto. Each takes (rawBody: Buffer, headers, secret) → boolean.
// `standard` uses the published `standardwebhooks` package.
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

export const VERIFIERS = {
  // BIMData (Python): hmac.new(WEBHOOK_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
  //                   compared with HTTP_X_BIMDATA_SIGNATURE via hmac.compare_digest
  bimdata(body, headers, secret) {
    const req = headers["x-bimdata-signature"];
    if (!req) return false;
    const sig = crypto.createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("hex");
    return req.length === sig.length && crypto.timingSafeEqual(Buffer.from(req), Buffer.from(sig));
  },
  // iTwin: HMAC-SHA256 of the whole body with the webhook secret, header "Signature: sha256=<hex>"
  itwin(body, headers, secret) {
    const header = headers["signature"];
    if (!header) return false;
    const [alg, hash] = header.split("=");
    if (alg !== "sha256") return false;
    return hash === crypto.createHmac("sha256", secret).update(body).digest("hex");
  },
  // Speckle (node): createHmac('sha256', secret).update(request.body.payload).digest('hex')
  //                 vs request.headers['x-webhook-signature']
  speckle(body, headers, secret) {
    const request = { body: JSON.parse(body.toString("utf8")), headers };
    const expectedSignature = crypto.createHmac("sha256", secret).update(request.body.payload).digest("hex");
    const signatureFromHeader = request.headers["x-webhook-signature"];
    return signatureFromHeader == expectedSignature;
  },
  // Idfy: HMAC-SHA256 of the request body with the secret token, hex, in X-Idfy-Signature
  idfy(body, headers, secret) {
    const hmac = crypto.createHmac("sha256", secret);
    return hmac.update(body.toString("utf8")).digest("hex") === headers["x-idfy-signature"];
  },
  // Propstack (JavaScript): createHmac('sha256', secret).update(requestBody, 'utf8').digest('hex') === signature
  propstack(body, headers, secret) {
    const signature = headers["x-propstack-signature"];
    const hash = crypto.createHmac("sha256", secret).update(body.toString("utf8"), "utf8").digest("hex");
    return hash === signature;
  },
  // Standard Webhooks v1a, written from the spec text (spec/standard-webhooks.md): the public key is
  // "whpk_" + base64 of the Ed25519 public key; webhook-signature is a space-delimited list in which
  // asymmetric signatures are "v1a," + base64 of the ed25519 signature of "{msg_id}.{timestamp}.{payload}";
  // the timestamp must be within a tolerance of now (5 minutes here, as the reference libraries use).
  "standard-v1a"(body, headers, publicKey) {
    if (!publicKey.startsWith("whpk_")) return false;
    const id = headers["webhook-id"], ts = headers["webhook-timestamp"], sigs = headers["webhook-signature"];
    if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(ts)) > 300) return false;
    const x = Buffer.from(publicKey.slice(5), "base64");
    if (x.length !== 32) return false;
    const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: x.toString("base64url") }, format: "jwk" });
    const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`, "utf8"), body]);
    return sigs.split(" ").some((entry) => {
      const [version, sig] = entry.split(",");
      return version === "v1a" && !!sig && crypto.verify(null, signed, key, Buffer.from(sig, "base64"));
    });
  },
  // Standard Webhooks: the official package
  standard(body, headers, secret) {
    try {
      new Webhook(secret).verify(body.toString("utf8"), headers);
      return true;
    } catch {
      return false;
    }
  },
};

/** Checks a request against every secret given, and also with a tampered body and a wrong secret. */
export function verifyAll(profile, body, headers, secrets) {
  const verify = VERIFIERS[profile];
  const tampered = Buffer.from(body);
  if (tampered.length) tampered[tampered.length > 2 ? tampered.length - 2 : 0] ^= 1;
  const wrong =
    profile === "standard" ? "whsec_" + crypto.randomBytes(32).toString("base64")
    : profile === "standard-v1a" ? "whpk_" + crypto.generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x.replace(/-/g, "+").replace(/_/g, "/") + "="
    : crypto.randomBytes(32).toString("hex");
  const safe = (f) => {
    try {
      return f();
    } catch {
      return false;
    }
  };
  return {
    bySecret: secrets.map((s) => safe(() => verify(body, headers, s))),
    tampered: secrets.map((s) => safe(() => verify(tampered, headers, s))),
    wrongSecret: safe(() => verify(body, headers, wrong)),
  };
}
