/** The upstream backend release whose API and wire protocol this implementation matches. */
export const BACKEND_VERSION = "0.43.45";
export const IMPLEMENTATION = "kanade-backend-deno";
