import { describe, expect, it } from "vitest";
import { checkTargetUrl, privateHostReason } from "../../src/core/url-policy";

// [url, allowed in production (private targets off)]. Every refused row is a bad input the suite tries.
const TABLE: [string, boolean][] = [
  // public targets stay allowed
  ["https://example.com/webhooks", true],
  ["https://api.example.com:8443/hook?x=1", true],
  ["https://93.184.216.34/hook", true],
  ["https://[2606:4700::1111]/hook", true],
  ["https://hooks.slack.com./services/x", true], // one trailing dot is the same public name
  ["https://172.32.0.1/hook", true], // just outside 172.16/12
  ["https://[2a00:1450:4001:81a::200e]/hook", true],
  ["https://[::ffff:5db8:d822]/hook", true], // IPv4-mapped 93.184.216.34
  ["https://my-nip.io.example.com/hook", true], // a rebinding name inside a label is not the rebinding domain
  ["https://xn--bcher-kva.example/hook", false], // .example is a reserved TLD (RFC 2606)
  // schemes, credentials, syntax
  ["http://example.com/hook", false], // https required
  ["ftp://example.com/hook", false],
  ["javascript:alert(1)", false],
  ["file:///etc/passwd", false],
  ["https://user:pw@example.com/hook", false],
  ["https://user@example.com/hook", false],
  ["https://example.com/hook#frag", false],
  ["https://exa mple.com/hook", false],
  ["not a url", false],
  ["", false],
  // localhost in every spelling
  ["https://localhost/hook", false],
  ["https://api.localhost/hook", false],
  ["https://localhost./hook", false],
  ["https://localhost../hook", false],
  ["https://localhost.../hook", false],
  ["https://LOCALHOST/hook", false],
  ["https://%6c%6fcalhost/hook", false],
  ["https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/hook", false],
  ["https://localhost.localdomain/hook", false],
  // single-label and internal-only names
  ["https://metadata/computeMetadata/v1", false],
  ["https://kubernetes/api", false],
  ["https://kubernetes.default.svc/api", false],
  ["https://kubernetes.default.svc.cluster.local/api", false],
  ["https://metadata.google.internal/computeMetadata", false],
  ["https://printer.local/hook", false],
  ["https://router.lan/hook", false],
  ["https://nas.home.arpa/hook", false],
  ["https://intranet.corp/hook", false],
  ["https://shop.test/hook", false],
  ["https://x.invalid/hook", false],
  ["https://1.0.0.127.in-addr.arpa/hook", false],
  // wildcard DNS that resolves to the address in the name (rebinding services)
  ["https://127.0.0.1.nip.io/hook", false],
  ["https://127.0.0.1.nip.io./hook", false],
  ["https://169.254.169.254.nip.io/latest", false],
  ["https://10.0.0.1.sslip.io/hook", false],
  ["https://10-0-0-1.sslip.io/hook", false],
  ["https://7f000001.nip.io/hook", false],
  ["https://app.127.0.0.1.xip.io/hook", false],
  ["https://localtest.me/hook", false],
  ["https://sub.localtest.me/hook", false],
  ["https://lvh.me/hook", false],
  ["https://x.lvh.me/hook", false],
  ["https://vcap.me/hook", false],
  ["https://lacolhost.com/hook", false],
  ["https://traefik.me/hook", false],
  ["https://localho.st/hook", false],
  ["https://7f000001.c0a80001.rbndr.us/hook", false],
  ["https://make-127-0-0-1-rr.1u.ms/hook", false],
  ["https://127.0.0.1.example.com/hook", false], // a private dotted quad in the name
  ["https://10-1-2-3.hosts.example.net/hook", false], // a private dashed quad in the name
  // IPv4 literals in every form the URL parser accepts
  ["https://127.0.0.1/hook", false],
  ["http://127.0.0.1/hook", false],
  ["https://127.1.2.3/hook", false],
  ["https://127.0.0.1./hook", false],
  ["https://127.0.0.1../hook", false],
  ["https://2130706433/hook", false], // decimal 127.0.0.1
  ["https://0x7f000001/hook", false], // hex
  ["https://0177.0.0.1/hook", false], // octal
  ["https://0x7f.1/hook", false],
  ["https://１２７.０.０.１/hook", false], // full-width digits
  ["https://0/hook", false],
  ["https://0.0.0.0/hook", false],
  ["https://169.254.169.254/latest/meta-data", false],
  ["https://10.0.0.5/hook", false],
  ["https://172.16.3.4/hook", false],
  ["https://172.31.255.255/hook", false],
  ["https://192.168.1.10/hook", false],
  ["https://100.64.0.1/hook", false],
  ["https://198.18.0.1/hook", false],
  ["https://192.0.2.1/hook", false],
  ["https://198.51.100.7/hook", false],
  ["https://203.0.113.9/hook", false],
  ["https://224.0.0.1/hook", false],
  ["https://255.255.255.255/hook", false],
  // IPv6 literals
  ["https://[::1]/hook", false],
  ["https://[::]/hook", false],
  ["https://[0:0:0:0:0:0:0:1]/hook", false],
  ["https://[::127.0.0.1]/hook", false], // IPv4-compatible ::/96
  ["https://[::a9fe:a9fe]/hook", false],
  ["https://[::ffff:127.0.0.1]/hook", false],
  ["https://[::ffff:a9fe:a9fe]/hook", false],
  ["https://[::ffff:0:7f00:1]/hook", false], // IPv4-translated
  ["https://[64:ff9b::a00:1]/hook", false], // NAT64
  ["https://[64:ff9b:1::1]/hook", false], // local-use NAT64
  ["https://[100::1]/hook", false], // discard-only 100::/64
  ["https://[2001:0::]/hook", false], // Teredo 2001::/32
  ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", false],
  ["https://[2001:db8::1]/hook", false], // documentation
  ["https://[3fff::1]/hook", false], // documentation (RFC 9637)
  ["https://[2002:7f00:1::]/hook", false], // 6to4 of 127.0.0.1
  ["https://[2002:c0a8:101::1]/hook", false],
  ["https://[fe80::1]/hook", false],
  ["https://[febf::1]/hook", false],
  ["https://[fec0::1]/hook", false], // site-local
  ["https://[fd00::1]/hook", false],
  ["https://[fd00:ec2::254]/hook", false],
  ["https://[ff02::1]/hook", false],
];

describe("target URL policy", () => {
  it("the table has at least 60 candidates", () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60);
    console.log(`url-policy: ${TABLE.length} candidates, ${TABLE.filter(([, ok]) => !ok).length} refused`);
  });

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
    expect(privateHostReason("metadata")).toMatch(/single-label/);
    expect(privateHostReason("127.0.0.1.nip.io")).toMatch(/rebinding|private/);
    expect(privateHostReason("[2001::]")).toMatch(/IPv6/);
  });

  it("returns the URL with trailing dots stripped from the host, so the fetch goes where it was checked", () => {
    const v = checkTargetUrl("https://example.com../hook", false);
    expect(v.ok && v.url.hostname).toBe("example.com");
  });
});
