/**
 * Version of a Windows PE binary from its VERSIONINFO resource, without running it:
 * DOS header → PE header → optional header data directory #2 (resources) → the resource
 * tree (type RT_VERSION = 16 → first name → first language) → VS_VERSIONINFO.
 * Preference: StringFileInfo `ProductVersion`, then `FileVersion`, then the numeric
 * VS_FIXEDFILEINFO product version (`a.b.c`, plus `.d` when d ≠ 0) — agents report the
 * string form (e.g. `0.43.12`), which Rust `winres` writes into ProductVersion.
 * Every offset is bounds-checked: garbage input gives `null` or a `PeError`, never a crash.
 */

export class PeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeError";
  }
}

export interface PeVersionInfo {
  /** The version to publish under (see preference above). */
  version: string;
  product_version: string | null;
  file_version: string | null;
  fixed_product_version: string | null;
  fixed_file_version: string | null;
  /** Every StringFileInfo string of the first table (CompanyName, …). */
  strings: Record<string, string>;
}

const RT_VERSION = 16;
const FIXED_SIGNATURE = 0xfeef04bd;

interface Section {
  va: number;
  vsize: number;
  rawPtr: number;
  rawSize: number;
}

class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly v = new DataView(b.buffer, b.byteOffset, b.byteLength),
  ) {}
  need(off: number, len: number, what: string) {
    if (off < 0 || len < 0 || off + len > this.b.length) {
      throw new PeError(`truncated PE: ${what} at ${off} (+${len}) beyond ${this.b.length} bytes`);
    }
  }
  u16(off: number, what = "u16") {
    this.need(off, 2, what);
    return this.v.getUint16(off, true);
  }
  u32(off: number, what = "u32") {
    this.need(off, 4, what);
    return this.v.getUint32(off, true);
  }
}

/** True when the bytes start like a PE image (`MZ` + `PE\0\0`). */
export function isPe(bytes: Uint8Array): boolean {
  try {
    const r = new Reader(bytes);
    if (r.u16(0) !== 0x5a4d) return false;
    const pe = r.u32(0x3c);
    return r.u32(pe) === 0x00004550;
  } catch {
    return false;
  }
}

function sections(r: Reader): { sections: Section[]; rsrcRva: number; rsrcSize: number } {
  if (r.u16(0, "DOS magic") !== 0x5a4d) throw new PeError("not a PE file (no MZ header)");
  const pe = r.u32(0x3c, "e_lfanew");
  if (r.u32(pe, "PE signature") !== 0x00004550) {
    throw new PeError("not a PE file (no PE signature)");
  }
  const coff = pe + 4;
  const nSections = r.u16(coff + 2, "NumberOfSections");
  const optSize = r.u16(coff + 16, "SizeOfOptionalHeader");
  const opt = coff + 20;
  const magic = r.u16(opt, "optional header magic");
  let ddBase: number, nDirs: number;
  if (magic === 0x10b) {
    nDirs = r.u32(opt + 92, "NumberOfRvaAndSizes");
    ddBase = opt + 96;
  } else if (magic === 0x20b) {
    nDirs = r.u32(opt + 108, "NumberOfRvaAndSizes");
    ddBase = opt + 112;
  } else {
    throw new PeError(`unknown optional header magic 0x${magic.toString(16)}`);
  }
  let rsrcRva = 0, rsrcSize = 0;
  if (nDirs > 2 && ddBase + 3 * 8 <= opt + optSize) {
    rsrcRva = r.u32(ddBase + 16, "resource directory RVA");
    rsrcSize = r.u32(ddBase + 20, "resource directory size");
  }
  const out: Section[] = [];
  const secBase = opt + optSize;
  for (let i = 0; i < Math.min(nSections, 96); i++) {
    const s = secBase + i * 40;
    out.push({
      vsize: r.u32(s + 8, "section VirtualSize"),
      va: r.u32(s + 12, "section VirtualAddress"),
      rawSize: r.u32(s + 16, "section SizeOfRawData"),
      rawPtr: r.u32(s + 20, "section PointerToRawData"),
    });
  }
  return { sections: out, rsrcRva, rsrcSize };
}

function rvaToOffset(secs: Section[], rva: number): number {
  for (const s of secs) {
    const span = Math.max(s.vsize, s.rawSize);
    if (rva >= s.va && rva < s.va + span) {
      const delta = rva - s.va;
      if (delta >= s.rawSize) {
        throw new PeError(`RVA 0x${rva.toString(16)} is not backed by file data`);
      }
      return s.rawPtr + delta;
    }
  }
  throw new PeError(`RVA 0x${rva.toString(16)} is outside every section`);
}

/** Follow one level of the resource tree: the entry with `id`, or the first one. */
function resourceChild(r: Reader, dirOff: number, id?: number): number | null {
  const named = r.u16(dirOff + 12, "resource NumberOfNamedEntries");
  const ids = r.u16(dirOff + 14, "resource NumberOfIdEntries");
  const total = Math.min(named + ids, 4096);
  for (let i = 0; i < total; i++) {
    const e = dirOff + 16 + i * 8;
    const name = r.u32(e, "resource entry name");
    const target = r.u32(e + 4, "resource entry offset");
    if (id !== undefined && ((name & 0x80000000) !== 0 || name !== id)) continue;
    return target;
  }
  return null;
}

function utf16z(r: Reader, off: number, end: number): { text: string; next: number } {
  let s = "";
  let p = off;
  while (p + 2 <= end) {
    const c = r.u16(p, "string");
    p += 2;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return { text: s, next: p };
}

const align4 = (n: number) => (n + 3) & ~3;

interface Block {
  key: string;
  valueOff: number;
  valueLen: number; // bytes
  type: number;
  childrenOff: number;
  end: number;
}

/** One VERSIONINFO-style block: {wLength, wValueLength, wType, szKey, pad, Value, pad, children}. */
function block(r: Reader, off: number, limit: number, textValueInWords: boolean): Block {
  const len = r.u16(off, "block wLength");
  const valueLen = r.u16(off + 2, "block wValueLength");
  const type = r.u16(off + 4, "block wType");
  if (len < 6) throw new PeError("malformed VERSIONINFO block (length < 6)");
  const end = Math.min(off + len, limit);
  const key = utf16z(r, off + 6, end);
  const valueOff = align4(key.next);
  const valueBytes = type === 1 && textValueInWords ? valueLen * 2 : valueLen;
  return {
    key: key.text,
    valueOff,
    valueLen: valueBytes,
    type,
    childrenOff: align4(valueOff + valueBytes),
    end,
  };
}

function children(r: Reader, b: Block, textValueInWords: boolean): Block[] {
  const out: Block[] = [];
  let p = b.childrenOff;
  while (p + 6 <= b.end && out.length < 1024) {
    const c = block(r, p, b.end, textValueInWords);
    out.push(c);
    const len = r.u16(p);
    if (len === 0) break;
    p = align4(p + len);
  }
  return out;
}

function fixedVersion(ms: number, ls: number): string {
  const parts = [ms >>> 16, ms & 0xffff, ls >>> 16];
  const build = ls & 0xffff;
  return (build ? [...parts, build] : parts).join(".");
}

/** Parse a VS_VERSIONINFO block located at `off` (exported for tests). */
export function parseVersionInfoBlock(
  bytes: Uint8Array,
  off: number,
  size: number,
): PeVersionInfo | null {
  const r = new Reader(bytes);
  const limit = Math.min(off + size, bytes.length);
  const root = block(r, off, limit, false);
  if (root.key !== "VS_VERSION_INFO") throw new PeError(`unexpected VERSIONINFO key '${root.key}'`);
  let fixedProduct: string | null = null;
  let fixedFile: string | null = null;
  if (
    root.valueLen >= 52 && r.u32(root.valueOff, "VS_FIXEDFILEINFO signature") === FIXED_SIGNATURE
  ) {
    const f = root.valueOff;
    fixedFile = fixedVersion(r.u32(f + 8), r.u32(f + 12));
    fixedProduct = fixedVersion(r.u32(f + 16), r.u32(f + 20));
  }
  const strings: Record<string, string> = {};
  for (const c of children(r, root, true)) {
    if (c.key !== "StringFileInfo") continue;
    const tables = children(r, c, true);
    if (!tables.length) continue;
    for (const s of children(r, tables[0], true)) {
      if (s.valueLen === 0) {
        strings[s.key] = "";
        continue;
      }
      strings[s.key] = utf16z(r, s.valueOff, Math.min(s.valueOff + s.valueLen, s.end)).text;
    }
  }
  const clean = (v: string | undefined) => {
    const t = v?.replace(/\0+$/, "").trim();
    return t ? t : null;
  };
  const product = clean(strings.ProductVersion);
  const file = clean(strings.FileVersion);
  const version = product ?? file ?? fixedProduct ?? fixedFile;
  if (!version) return null;
  return {
    version,
    product_version: product,
    file_version: file,
    fixed_product_version: fixedProduct,
    fixed_file_version: fixedFile,
    strings,
  };
}

/**
 * The VERSIONINFO of a PE image, or null when it has no RT_VERSION resource. Throws
 * `PeError` when the bytes are not a PE image or its structures are malformed.
 */
export function readPeVersion(bytes: Uint8Array): PeVersionInfo | null {
  const r = new Reader(bytes);
  const { sections: secs, rsrcRva, rsrcSize } = sections(r);
  if (!rsrcRva || !rsrcSize) return null;
  const base = rvaToOffset(secs, rsrcRva);
  const typeTarget = resourceChild(r, base, RT_VERSION);
  if (typeTarget === null) return null;
  if (!(typeTarget & 0x80000000)) throw new PeError("RT_VERSION entry is not a directory");
  const nameDir = base + (typeTarget & 0x7fffffff);
  const nameTarget = resourceChild(r, nameDir);
  if (nameTarget === null) return null;
  let leaf = nameTarget;
  if (leaf & 0x80000000) {
    const langTarget = resourceChild(r, base + (leaf & 0x7fffffff));
    if (langTarget === null) return null;
    leaf = langTarget;
  }
  if (leaf & 0x80000000) throw new PeError("resource tree deeper than type/name/language");
  const dataEntry = base + leaf;
  const dataRva = r.u32(dataEntry, "resource data RVA");
  const dataSize = r.u32(dataEntry + 4, "resource data size");
  const off = rvaToOffset(secs, dataRva);
  r.need(off, dataSize, "VERSIONINFO data");
  return parseVersionInfoBlock(bytes, off, dataSize);
}
