/**
 * Decoding of received Commands, shared by the agents of one process. With per-agent
 * subscriptions, one `commands.all` publish reaches every agent as its own copy of the same
 * bytes; the first copy is parsed and checked, the others reuse it (compared byte for byte,
 * so a different message is never mistaken for a cached one). The KV lookups the gates need
 * (`script_current`, `script_status`, `script_object`) are shared the same way.
 */
import { type Command, CommandSchema } from "../wire/messages.ts";
import type { Link } from "./link.ts";
import { lookupsFor, type SharedLookups } from "./lookups.ts";
import { td } from "./util.ts";

interface Entry {
  bytes: Uint8Array;
  cmd: Command | null;
  error: string | null;
  lookups: SharedLookups | null;
  lookupsAt: number;
}

/** How many distinct messages are remembered (a few execs in flight at once). */
const CAP = 16;
/**
 * How long one answer of the KV lookups is shared: long enough for one fan-out burst, short
 * enough that a copy replayed later (an agent back online) sees a revoke made meanwhile.
 */
const LOOKUPS_TTL_MS = 2000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class CommandCache {
  private entries: Entry[] = [];

  constructor(private readonly link: () => Link) {}

  /** The Command in `data` with its shared lookups, or the reason it is not one. */
  decode(data: Uint8Array): { cmd: Command; lookups: SharedLookups } | { error: string } {
    let e = this.entries.find((x) => sameBytes(x.bytes, data));
    if (!e) {
      e = { bytes: data.slice(), cmd: null, error: null, lookups: null, lookupsAt: 0 };
      try {
        e.cmd = CommandSchema.parse(JSON.parse(td.decode(data)));
      } catch (err) {
        e.error = String(err);
      }
      this.entries.push(e);
      if (this.entries.length > CAP) this.entries.shift();
    }
    if (!e.cmd) return { error: e.error! };
    const now = Date.now();
    if (!e.lookups || now - e.lookupsAt > LOOKUPS_TTL_MS) {
      e.lookups = lookupsFor(this.link(), e.cmd);
      e.lookupsAt = now;
    }
    return { cmd: e.cmd, lookups: e.lookups };
  }
}
