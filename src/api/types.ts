import type { Env } from "../env";
import type { Scope } from "../core/schemas";

export interface AppVars {
  tenantId: string;
  scopes: Scope[];
  keyId: string;
  strictTypes: boolean;
}
export type AppEnv = { Bindings: Env; Variables: AppVars };
