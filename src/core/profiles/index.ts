import { bimdata, idfy, itwin, propstack, speckle } from "./seeds";
import { standard } from "./standard";
import type { Profile, ProfileName } from "./types";

export * from "./types";

export const PROFILES: Record<ProfileName, Profile> = { standard, bimdata, itwin, speckle, idfy, propstack };

export const profileOf = (name: string): Profile => PROFILES[name as ProfileName] ?? standard;
