import { describe, expect, it } from "vitest";
import { checkTargetUrl } from "../../src/core/url-policy";

// [url, allowed in production (private targets off)]
const TABLE: [string, boolean][] = [
  ["https://example.com/webhooks", true],
  ["https://api.example.com:8443/hook?x=1", true],
  ["https://93.184.216.34/hook", true],
  ["https://[2606:4700::1111]/hook", true],
  ["http://example.com/hook", false], // https required
  ["ftp://example.com/hook", false],
  ["javascript:alert(1)", false],
  ["file:///etc/passwd", false],
  ["https://user:pw@example.com/hook", false],
  ["https://user@example.com/hook", false],
  ["https://localhost/hook", false],
  ["https://api.localhost/hook", false],
  ["https://127.0.0.1/hook", false],
  ["http://127.0.0.1/hook", false],
  ["https://127.1.2.3/hook", false],
  ["https://[::1]/hook", false],
  ["http://[::1]/hook", false],
  ["https://2130706433/hook", false], // decimal 127.0.0.1
  ["http://2130706433/hook", false],
  ["https://0x7f000001/hook", false], // hex 127.0.0.1
  ["https://0177.0.0.1/hook", false], // octal 127.0.0.1
  ["https://0x7f.1/hook", false],
  ["https://169.254.169.254/latest/meta-data", false], // cloud metadata
  ["http://169.254.169.254/latest/meta-data", false],
  ["https://10.0.0.5/hook", false],
  ["https://172.16.3.4/hook", false],
  ["https://172.31.255.255/hook", false],
  ["https://192.168.1.10/hook", false],
  ["https://100.64.0.1/hook", false],
  ["https://0.0.0.0/hook", false],
  ["https://[fe80::1]/hook", false],
  ["https://[fd00::1]/hook", false],
  ["https://[::ffff:127.0.0.1]/hook", false],
  ["https://[::ffff:a9fe:a9fe]/hook", false],
  ["https://metadata.google.internal/computeMetadata", false],
  ["https://example.com/hook#frag", false],
  ["https://exa mple.com/hook", false],
  ["not a url", false],
  ["", false],
  ["https://172.32.0.1/hook", true], // just outside 172.16/12
];

describe("target URL policy", () => {
  it.each(TABLE)("%s → allowed=%s with private targets off", (url, allowed) => {
    const v = checkTargetUrl(url, false);
    expect(v.ok, v.ok ? "" : v.reason).toBe(allowed);
  });

  it("allows loopback and http when private targets are allowed (local development)", () => {
    expect(checkTargetUrl("http://127.0.0.1:8080/hook", true).ok).toBe(true);
    expect(checkTargetUrl("http://localhost:3000/hook", true).ok).toBe(true);
  });

  it("still refuses credentials and other schemes when private targets are allowed", () => {
    expect(checkTargetUrl("http://user:pw@127.0.0.1/hook", true).ok).toBe(false);
    expect(checkTargetUrl("gopher://127.0.0.1/hook", true).ok).toBe(false);
  });

  it("says why a URL is refused", () => {
    const v = checkTargetUrl("http://169.254.169.254/", false);
    expect(v).toEqual({ ok: false, reason: "https is required" });
    const w = checkTargetUrl("https://169.254.169.254/", false);
    expect(w.ok ? "" : w.reason).toMatch(/metadata/);
  });
});
