/**
 * The one module that reads and writes the accounts entry (KV `kanade_accounts`, key
 * `accounts`). Reads decode once per revision; writes are compare-and-swap through
 * `casUpdate`, whose mutation is the pure rule of `model.ts` (it may throw the 404/409).
 */
import { BUCKET, KEY_ACCOUNTS } from "../../wire/names.ts";
import type { Nats } from "../nats.ts";
import { casUpdate, type Codec, type KV, liveEntry, openKv } from "../kv.ts";
import { internal } from "../errors.ts";
import { type AccountsDoc, AccountsDocSchema } from "./model.ts";

export const accountsCodec: Codec<AccountsDoc> = {
  decode: (b) => AccountsDocSchema.parse(JSON.parse(new TextDecoder().decode(b))),
  encode: (v) => JSON.stringify(v),
  empty: () => ({ accounts: [] }),
};

export function accountsKv(nats: Nats): Promise<KV> {
  return openKv(nats, BUCKET.accounts);
}

const cache = new WeakMap<Nats, { revision: number; doc: AccountsDoc }>();

/** The current accounts (empty when none exist yet). */
export async function readAccounts(nats: Nats): Promise<AccountsDoc> {
  const e = liveEntry(await (await accountsKv(nats)).get(KEY_ACCOUNTS));
  if (!e) return accountsCodec.empty();
  const hit = cache.get(nats);
  if (hit && hit.revision === e.revision) return hit.doc;
  let doc: AccountsDoc;
  try {
    doc = accountsCodec.decode(e.value);
  } catch (err) {
    throw internal("the stored accounts are not decodable", err);
  }
  cache.set(nats, { revision: e.revision, doc });
  return doc;
}

/** Apply a pure change to the accounts in one compare-and-swap (re-applied on conflict). */
export async function updateAccounts(
  nats: Nats,
  change: (doc: AccountsDoc) => AccountsDoc,
): Promise<AccountsDoc> {
  const r = await casUpdate(await accountsKv(nats), KEY_ACCOUNTS, accountsCodec, change);
  return r.value;
}
