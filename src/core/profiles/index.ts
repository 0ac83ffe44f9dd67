import { bimdata, idfy, itwin, itwinV2, propstack, speckle } from "./seeds";
import { standard } from "./standard";
import type { Profile, ProfileName } from "./types";

export * from "./types";

export const PROFILES: Record<ProfileName, Profile> = { standard, bimdata, itwin, itwin_v2: itwinV2, speckle, idfy, propstack };

export const profileOf = (name: string): Profile => PROFILES[name as ProfileName] ?? standard;
