import type { Ctx } from "../route.ts";

/** The `{username}` path segment, percent-decoded by the router. */
export const usernameParam = (c: Ctx): string => c.req.param("username") ?? "";
