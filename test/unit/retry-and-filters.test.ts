import { describe, expect, it } from "vitest";
import { filterMatches, hookMatches, matchesPattern } from "../../src/core/filters";
import { DEFAULT_RETRY_SCHEDULE_S } from "../../src/core/policy";
import { nextDelayMs, retryAfterMs } from "../../src/core/retry-schedule";

describe("retry schedule", () => {
  it("follows the Standard Webhooks default: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    const mid = DEFAULT_RETRY_SCHEDULE_S.map((_, i) => nextDelayMs(undefined, i, 0.5));
    expect(mid).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextDelayMs(undefined, 8, 0.5)).toBeNull();
  });
  it("jitters each delay by at most ±20 %", () => {
    expect(nextDelayMs(undefined, 1, 0)).toBe(4_000);
    expect(nextDelayMs(undefined, 1, 0.999999)).toBe(6_000);
  });
  it("uses a hook's own schedule", () => {
    expect(nextDelayMs([0, 1, 2], 2, 0.5)).toBe(2_000);
    expect(nextDelayMs([0, 1, 2], 3, 0.5)).toBeNull();
  });
  it("reads Retry-After as seconds or an HTTP date and clamps it to 1 h", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7_000);
    expect(retryAfterMs("86400", now)).toBe(3_600_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe("event routing", () => {
  it("matches names, `*` and prefix patterns", () => {
    expect(matchesPattern("bcf.topic.*", "bcf.topic.creation")).toBe(true);
    expect(matchesPattern("bcf.topic.*", "bcf.topic.full.update")).toBe(true);
    expect(matchesPattern("bcf.topic.*", "bcf.topic")).toBe(false);
    expect(matchesPattern("bcf.topic.*", "bcf.comment.creation")).toBe(false);
    expect(matchesPattern("*", "anything")).toBe(true);
    expect(matchesPattern("*", "hookline.hook.disabled")).toBe(false);
    expect(matchesPattern("hookline.*", "hookline.hook.disabled")).toBe(true);
    expect(matchesPattern("document_signed", "document_signed")).toBe(true);
    expect(matchesPattern("document_signed", "document_signed2")).toBe(false);
  });
  it("restricts to channels when the hook lists any", () => {
    const sub = { events: ["*"], channels: ["cloud-1"], filter: null };
    expect(hookMatches(sub, { type: "x", channel: "cloud-1", data: {} })).toBe(true);
    expect(hookMatches(sub, { type: "x", channel: "cloud-2", data: {} })).toBe(false);
    expect(hookMatches(sub, { type: "x", data: {} })).toBe(false);
    expect(hookMatches({ ...sub, channels: [] }, { type: "x", channel: "any", data: {} })).toBe(true);
  });
  it("matches changed_attributes any-of (Propstack: react when the price changes)", () => {
    const f = { changed_attributes: ["price"] };
    expect(filterMatches(f, { type: "property_updated", changed_attributes: ["price", "title"], data: {} })).toBe(true);
    expect(filterMatches(f, { type: "property_updated", changed_attributes: ["title"], data: {} })).toBe(false);
    expect(filterMatches(f, { type: "property_updated", data: {} })).toBe(false);
  });
  it("evaluates $eq $ne $in $exists $gt $lt on data paths", () => {
    const data = { status: "open", amount: 42, owner: { id: "u1" }, tags: null };
    const ev = { type: "x", data };
    expect(filterMatches({ data: { status: { $eq: "open" } } }, ev)).toBe(true);
    expect(filterMatches({ data: { status: { $ne: "open" } } }, ev)).toBe(false);
    expect(filterMatches({ data: { status: { $in: ["closed", "open"] } } }, ev)).toBe(true);
    expect(filterMatches({ data: { "owner.id": { $exists: true } } }, ev)).toBe(true);
    expect(filterMatches({ data: { "$.owner.name": { $exists: true } } }, ev)).toBe(false);
    expect(filterMatches({ data: { "owner.name": { $exists: false } } }, ev)).toBe(true);
    expect(filterMatches({ data: { amount: { $gt: 40, $lt: 50 } } }, ev)).toBe(true);
    expect(filterMatches({ data: { amount: { $gt: 42 } } }, ev)).toBe(false);
    expect(filterMatches({ data: { status: { $gt: 1 } } }, ev)).toBe(false);
    expect(filterMatches({ data: { tags: { $eq: null } } }, ev)).toBe(true);
    expect(filterMatches({ data: { "nope.deeper": { $eq: 1 } } }, ev)).toBe(false);
  });
});
