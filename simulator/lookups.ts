/** KV/object lookups for one received Command, shared by every agent it is routed to. */
import type { Command } from "../wire/messages.ts";
import { BUCKET, OBJECT_STORE } from "../wire/names.ts";
import type { Link } from "./link.ts";
import { memo } from "./util.ts";

export interface SharedLookups {
  scriptCurrent: () => Promise<string | null>;
  scriptStatus: () => Promise<string | null>;
  scriptObject: (key: string) => Promise<Uint8Array | null>;
}

export function lookupsFor(link: Link, cmd: Command): SharedLookups {
  const objects = new Map<string, Promise<Uint8Array | null>>();
  return {
    scriptCurrent: memo(() => link.kvString(BUCKET.scriptCurrent, cmd.id)),
    scriptStatus: memo(() => link.kvString(BUCKET.scriptStatus, cmd.id)),
    scriptObject: (key) => {
      let p = objects.get(key);
      if (!p) {
        p = link.obj(OBJECT_STORE.scripts).then((os) => os ? os.getBlob(key) : null).catch(() =>
          null
        );
        objects.set(key, p);
      }
      return p;
    },
  };
}
