import { z } from "zod";

/** The `{username}` path segment (percent-decoded by the router). */
export const UsernameParams = z.object({ username: z.string() });
