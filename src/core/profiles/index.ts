import { ITWIN_TTL_DAYS } from "../policy";
import { bimdata, idfy, itwin, itwinV2, propstack, speckle } from "./seeds";
import { standard } from "./standard";
import type { Profile, ProfileName } from "./types";

export * from "./types";

/**
 * Every profile, with the rules that differ per vendor as data: iTwin hooks validate with the
 * handshake and expire after 30 days, as iTwin's do; Speckle counts only 200–204 as delivered,
 * as its webhook caller does. Generic code reads these fields and never branches on a name.
 */
export const PROFILES: Record<ProfileName, Profile> = {
  standard,
  bimdata,
  itwin: { ...itwin, defaultValidation: "handshake", defaultTtlDays: ITWIN_TTL_DAYS },
  itwin_v2: itwinV2,
  speckle: { ...speckle, successStatuses: [200, 204] },
  idfy,
  propstack,
};

export const profileOf = (name: string): Profile => PROFILES[name as ProfileName] ?? standard;
