/**
 * Test support: builds a minimal but well-formed PE image (PE32 or PE32+) whose only
 * section is `.rsrc` holding one RT_VERSION resource with a VS_VERSIONINFO. Used by the
 * parser tests and the publish integration test, so no binary fixture is checked in.
 */

export interface PeFixtureOptions {
  productVersion?: string | null;
  fileVersion?: string | null;
  /** VS_FIXEDFILEINFO file and product version [major, minor, patch, build]. */
  fixed?: [number, number, number, number] | null;
  pe32plus?: boolean;
  /** Leave out the resource section entirely. */
  noResources?: boolean;
  extraStrings?: Record<string, string>;
}

const align4 = (n: number) => (n + 3) & ~3;

function utf16z(s: string): Uint8Array {
  const b = new Uint8Array((s.length + 1) * 2);
  const v = new DataView(b.buffer);
  for (let i = 0; i < s.length; i++) v.setUint16(i * 2, s.charCodeAt(i), true);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function pad4(b: Uint8Array): Uint8Array {
  const n = align4(b.length);
  if (n === b.length) return b;
  const out = new Uint8Array(n);
  out.set(b);
  return out;
}

/** {wLength, wValueLength, wType, szKey, pad, Value, pad, Children} */
function versionBlock(
  key: string,
  value: Uint8Array,
  wValueLength: number,
  type: number,
  kids: Uint8Array[],
): Uint8Array {
  const head = pad4(concat([new Uint8Array(6), utf16z(key)]));
  const body = value.length ? pad4(value) : value;
  const kidBytes = kids.map((k, i) => (i < kids.length - 1 ? pad4(k) : k));
  const out = concat([head, body, ...kidBytes]);
  const v = new DataView(out.buffer);
  v.setUint16(0, out.length, true);
  v.setUint16(2, wValueLength, true);
  v.setUint16(4, type, true);
  return out;
}

export function buildVersionInfo(o: PeFixtureOptions): Uint8Array {
  let fixed = new Uint8Array(0);
  if (o.fixed) {
    fixed = new Uint8Array(52);
    const v = new DataView(fixed.buffer);
    const [a, b, c, d] = o.fixed;
    v.setUint32(0, 0xfeef04bd, true);
    v.setUint32(4, 0x00010000, true);
    v.setUint32(8, (a << 16) | b, true);
    v.setUint32(12, (c << 16) | d, true);
    v.setUint32(16, (a << 16) | b, true);
    v.setUint32(20, (c << 16) | d, true);
  }
  const strings: Record<string, string> = { CompanyName: "kanade test", ...o.extraStrings };
  if (o.fileVersion) strings.FileVersion = o.fileVersion;
  if (o.productVersion) strings.ProductVersion = o.productVersion;
  const stringBlocks = Object.entries(strings).map(([k, val]) =>
    versionBlock(k, utf16z(val), val.length + 1, 1, [])
  );
  const table = versionBlock("040904b0", new Uint8Array(0), 0, 1, stringBlocks);
  const sfi = versionBlock("StringFileInfo", new Uint8Array(0), 0, 1, [table]);
  const translation = new Uint8Array([0x09, 0x04, 0xb0, 0x04]);
  const varBlock = versionBlock("Translation", translation, 4, 0, []);
  const vfi = versionBlock("VarFileInfo", new Uint8Array(0), 0, 1, [varBlock]);
  return versionBlock("VS_VERSION_INFO", fixed, fixed.length, 0, [sfi, vfi]);
}

export function buildPe(o: PeFixtureOptions = {}): Uint8Array {
  const plus = o.pe32plus ?? false;
  const optSize = plus ? 240 : 224;
  const peOff = 0x40;
  const secTable = peOff + 4 + 20 + optSize;
  const rawPtr = 0x200;
  const rva = 0x1000;

  // Resource tree: root(type 16) → name(1) → lang(0x409) → data entry → VS_VERSIONINFO.
  const vi = buildVersionInfo(o);
  const rsrc = new Uint8Array(align4(0x58 + vi.length));
  const rv = new DataView(rsrc.buffer);
  const dir = (off: number, id: number, target: number) => {
    rv.setUint16(off + 14, 1, true); // one id entry
    rv.setUint32(off + 16, id, true);
    rv.setUint32(off + 20, target, true);
  };
  dir(0x00, 16, 0x80000000 | 0x18);
  dir(0x18, 1, 0x80000000 | 0x30);
  dir(0x30, 0x409, 0x48);
  rv.setUint32(0x48, rva + 0x58, true);
  rv.setUint32(0x4c, vi.length, true);
  rsrc.set(vi, 0x58);

  const rawSize = align4(rsrc.length);
  const total = rawPtr + (o.noResources ? 0 : rawSize);
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x5a4d, true);
  v.setUint32(0x3c, peOff, true);
  v.setUint32(peOff, 0x00004550, true);
  const coff = peOff + 4;
  v.setUint16(coff, plus ? 0x8664 : 0x14c, true);
  v.setUint16(coff + 2, o.noResources ? 0 : 1, true);
  v.setUint16(coff + 16, optSize, true);
  v.setUint16(coff + 18, 0x0102, true);
  const opt = coff + 20;
  v.setUint16(opt, plus ? 0x20b : 0x10b, true);
  const nDirsOff = plus ? opt + 108 : opt + 92;
  const dd = plus ? opt + 112 : opt + 96;
  v.setUint32(nDirsOff, 16, true);
  if (!o.noResources) {
    v.setUint32(dd + 16, rva, true);
    v.setUint32(dd + 20, rsrc.length, true);
    b.set(new TextEncoder().encode(".rsrc"), secTable);
    v.setUint32(secTable + 8, rsrc.length, true);
    v.setUint32(secTable + 12, rva, true);
    v.setUint32(secTable + 16, rawSize, true);
    v.setUint32(secTable + 20, rawPtr, true);
    v.setUint32(secTable + 36, 0x40000040, true);
    b.set(rsrc, rawPtr);
  }
  return b;
}
