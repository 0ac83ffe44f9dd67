/**
 * Target URL rules (DESIGN §5), pure: checked at hook create/update and again before each fetch.
 * https only, no userinfo, no literal private/loopback/link-local/metadata addresses and no
 * `localhost` — unless private targets are allowed (local development).
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
  if (!allowPrivate) {
    const why = privateHostReason(url.hostname);
    if (why) return { ok: false, reason: why };
  }
  return { ok: true, url };
}

/** Why a hostname points somewhere private, or null. The WHATWG parser already normalised
 *  decimal/hex/octal IPv4 forms (`2130706433`, `0x7f.1`) to dotted quads. */
export function privateHostReason(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost is not allowed";
  if (host.endsWith(".internal") || host.endsWith(".local")) return "internal host names are not allowed";
  if (host.startsWith("[")) {
    return isPrivateIPv6(host.slice(1, -1)) ? "private or loopback IPv6 address" : null;
  }
  const v4 = parseIPv4(host);
  if (v4) return isPrivateIPv4(v4) ? "private, loopback, link-local or metadata IPv4 address" : null;
  return null;
}

function parseIPv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function isPrivateIPv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function isPrivateIPv6(addr: string): boolean {
  const a = addr.toLowerCase();
  if (a === "::" || a === "::1") return true;
  // IPv4-mapped / translated forms carry an IPv4 address: judge that.
  const mapped = /^::ffff:(?:0:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return isPrivateIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  if (a.startsWith("::ffff:")) return true;
  const first = parseInt(a.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    a.startsWith("64:ff9b:") || // NAT64
    a.startsWith("2001:db8:") || // documentation
    a.startsWith("fd00:ec2::") // AWS metadata (also covered by fc00::/7)
  );
}
