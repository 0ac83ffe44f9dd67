/** What every signature/envelope profile gets and returns (docs/architecture.md#profiles-envelope-and-signature). */
export interface OutboundEvent {
  id: string;
  type: string;
  /** ms since epoch: when the event happened (publish time unless the producer said otherwise). */
  timestamp: number;
  channel?: string | null;
  data: unknown;
  changed_attributes?: string[] | null;
  /** who caused it (Speckle's userId) and a human summary (Speckle's activityMessage). */
  actor?: string | null;
  summary?: string | null;
}

export interface HookContext {
  id: string;
  url: string;
  description?: string | null;
  events: string[];
  publicUrl: string;
}

export interface Profile {
  name: ProfileName;
  /** The exact request body. */
  envelope(ev: OutboundEvent, hook: HookContext): string;
  /** Signature headers for `body`. `secrets` newest first; empty = unsigned (where the profile allows). */
  sign(secrets: string[], body: string, ev: OutboundEvent, sentAt: number): Promise<Record<string, string>>;
  /** A fresh secret in this profile's format. */
  newSecret(): string;
  /** Whether a user-supplied secret is acceptable; returns a reason when not. */
  checkSecret(secret: string): string | null;
  /** May a hook of this profile have no secret at all (then no signature header is sent)? */
  secretOptional: boolean;
  /** Response statuses that count as delivered, inclusive (default 200–299). */
  successStatuses?: readonly [lowest: number, highest: number];
  /** The validation a new hook gets when it names none (default "none"). */
  defaultValidation?: "handshake" | "none";
  /** Days until a new hook expires when it gives no expires_at (default: DEFAULT_HOOK_TTL_DAYS). */
  defaultTtlDays?: number;
}

/** Whether `status` counts as delivered for this profile. */
export function isSuccessStatus(profile: Pick<Profile, "successStatuses">, status: number): boolean {
  const [lo, hi] = profile.successStatuses ?? [200, 299];
  return status >= lo && status <= hi;
}

/** `itwin` is iTwin Webhooks API v1 (the seed's version); `itwin_v2` is v2, with its own event names and envelope. */
export const PROFILE_NAMES = ["standard", "bimdata", "itwin", "itwin_v2", "speckle", "idfy", "propstack"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
