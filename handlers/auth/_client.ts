import type { Ctx } from "../route.ts";

/**
 * The client address a request came from (`Deno.serve` hands it to Hono as `c.env`);
 * "unknown" when served without a socket (`app.request` in tests, `deno serve` entries).
 * Forwarded headers are not trusted: anyone can send them.
 */
export function clientAddress(c: Ctx): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}
