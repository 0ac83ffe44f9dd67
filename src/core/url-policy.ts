/**
 * Target URL rules (docs/architecture.md#hooks), pure: checked at hook create/update and again before each fetch.
 * https only, no userinfo, and — unless private targets are allowed (local development) — no host
 * that names or resolves to somewhere private by construction: loopback/private/link-local/
 * metadata/special-purpose literals (IPv4 and IPv6), `localhost`, single-label and internal-only
 * names, and the public wildcard-DNS services whose names carry the address they resolve to.
 *
 * This is a check on the name, not on the resolved address: a public name that an attacker points
 * at 10.0.0.1 passes here. On Cloudflare the edge refuses to connect a Worker's fetch to a private
 * origin; a self-hosted workerd must route egress through a network service that does the same
 * (docs/reliability.md, "Security").
 */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export function checkTargetUrl(raw: string, allowPrivate: boolean): UrlVerdict {
  if (typeof raw !== "string" || raw.length === 0) return { ok: false, reason: "URL is empty" };
  if (raw.length > 2048) return { ok: false, reason: "URL is longer than 2048 characters" };
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: "URL contains whitespace or control characters" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not a valid absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: `scheme ${url.protocol} is not allowed` };
  if (url.protocol === "http:" && !allowPrivate) return { ok: false, reason: "https is required" };
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL are not allowed" };
  if (!url.hostname) return { ok: false, reason: "URL has no host" };
  if (url.hash) return { ok: false, reason: "URL fragments are not allowed" };
  // `example.com..` is `example.com` to a resolver: check and fetch the same name.
  const stripped = url.hostname.replace(/\.+$/, "");
  if (!stripped) return { ok: false, reason: "URL has no host" };
  if (stripped !== url.hostname) url.hostname = stripped;
  if (!allowPrivate) {
    const why = privateHostReason(url.hostname);
    if (why) return { ok: false, reason: why };
  }
  return { ok: true, url };
}

/**
 * Suffixes that never resolve publicly: RFC 6761/6762/8375/2606 special-use names, Kubernetes'
 * cluster domain, and the de-facto private TLDs (ICANN's name collision list).
 */
const INTERNAL_SUFFIXES = [
  "localhost", "localdomain", "local", "internal", "intranet", "lan", "home", "corp", "private",
  "home.arpa", "arpa", "svc", "cluster.local", "test", "invalid", "example", "onion", "alt",
];

/**
 * Public wildcard DNS services that answer with the address written in the name
 * (`127.0.0.1.nip.io`, `10-0-0-1.sslip.io`, `7f000001.nip.io`), fixed names that resolve to
 * 127.0.0.1 (`localtest.me`, `lvh.me`, …), and DNS-rebinding test services (`rbndr.us`, `1u.ms`).
 */
const REBINDING_DOMAINS = [
  "nip.io", "sslip.io", "xip.io", "nip.direct", "localtest.me", "lvh.me", "vcap.me", "lacolhost.com",
  "traefik.me", "localho.st", "fuf.me", "yoogle.com", "ulh.me", "smackaho.st", "readme.localtest.me",
  "rbndr.us", "1u.ms", "rebind.network", "rebind.it", "nip.lol",
];

const endsWithDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/** Why a hostname points somewhere private, or null. The WHATWG parser already normalised
 *  decimal/hex/octal/full-width IPv4 forms (`2130706433`, `0x7f.1`) to dotted quads, IDNA-mapped
 *  names and compressed IPv6. */
export function privateHostReason(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[")) {
    return isPrivateIPv6(host.slice(1, -1)) ? "private, loopback or special-purpose IPv6 address" : null;
  }
  const v4 = parseIPv4(host);
  if (v4) return isPrivateIPv4(v4) ? "private, loopback, link-local or metadata IPv4 address" : null;
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost is not allowed";
  if (!host.includes(".")) return "single-label host names are not allowed";
  const suffix = INTERNAL_SUFFIXES.find((s) => endsWithDomain(host, s));
  if (suffix) return `internal host names (.${suffix}) are not allowed`;
  const rebinding = REBINDING_DOMAINS.find((d) => endsWithDomain(host, d));
  if (rebinding) return `${rebinding} resolves to the address in the name (a DNS rebinding service)`;
  if (embedsPrivateIPv4(host)) return "the host name embeds a private IPv4 address";
  return null;
}

/** `127.0.0.1.example.com`, `10-1-2-3.hosts.example.net`: wildcard DNS that echoes the address. */
function embedsPrivateIPv4(host: string): boolean {
  const quads = host.match(/(?:^|[.-])(\d{1,3}[.-]\d{1,3}[.-]\d{1,3}[.-]\d{1,3})(?=[.-]|$)/g) ?? [];
  return quads.some((q) => {
    const parts = q.replace(/^[.-]/, "").split(/[.-]/).map(Number);
    return parts.every((p) => p <= 255) && isPrivateIPv4(parts);
  });
}

function parseIPv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isPrivateIPv4([a, b, c]: number[]): boolean {
  if (a === undefined || b === undefined || c === undefined) return true;
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments, TEST-NET-1
    (a === 192 && b === 88 && c === 99) || // 6to4 relay anycast
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast, reserved, broadcast
  );
}

/** An IPv6 literal (as the URL parser prints it, without brackets) as 8 16-bit groups, or null. */
export function parseIPv6(addr: string): number[] | null {
  let a = addr.toLowerCase();
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const q = parseIPv4(v4[2]!);
    if (!q) return null;
    a = `${v4[1]}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const halves = a.split("::");
  if (halves.length > 2) return null;
  const part = (s: string) => (s === "" ? [] : s.split(":"));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Special-purpose IPv6 (IANA registry) that must never be a webhook target. Embedded IPv4 forms
 * that are not judged by their IPv4 (IPv4-compatible ::/96, 6to4, Teredo, NAT64) are refused
 * whole: each can tunnel to a private IPv4 address.
 */
function isPrivateIPv6(addr: string): boolean {
  const g = parseIPv6(addr);
  if (!g) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const v4 = [g6 >> 8, g6 & 255, g7 >> 8, g7 & 255];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0) return true; // ::/96 — unspecified, loopback and IPv4-compatible
    if (g5 === 0xffff) return isPrivateIPv4(v4); // ::ffff:0:0/96 IPv4-mapped
    return true;
  }
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return isPrivateIPv4(v4); // IPv4-translated
  return (
    (g0 === 0x64 && g1 === 0xff9b) || // NAT64 64:ff9b::/96 and local-use 64:ff9b:1::/48
    (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) || // discard-only 100::/64
    (g0 === 0x2001 && g1 < 0x200) || // IETF protocol assignments 2001::/23 (Teredo 2001::/32, ORCHID)
    (g0 === 0x2001 && g1 === 0xdb8) || // documentation
    (g0 === 0x3fff && g1 < 0x1000) || // documentation 3fff::/20
    g0 === 0x2002 || // 6to4
    (g0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g0 & 0xffc0) === 0xfec0 || // site-local fec0::/10 (deprecated, still routed internally)
    (g0 & 0xff00) === 0xff00 // multicast
  );
}
