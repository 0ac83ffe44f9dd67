import { OpenAPIHono } from "@hono/zod-openapi";
import { validationError } from "../errors";
import type { AppEnv } from "./types";

/** Every router turns zod failures into the same 422 problem+json, with field locations. */
export const router = () =>
  new OpenAPIHono<AppEnv>({
    defaultHook: (result, _c) => {
      if (!result.success) throw validationError(result.target === "json" ? "body" : result.target, result.error.issues);
    },
  });
