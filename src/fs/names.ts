// File names as the kernel sends them (any bytes but NUL and "/") <-> JS strings, reversibly.
//
// Linux names need not be valid UTF-8 ("caf\xe9" from a Latin-1 system). A lossy decode would turn
// distinct names into the same string, so, like Python's "surrogateescape", each byte that is not part
// of valid UTF-8 becomes the lone surrogate U+DC80..U+DCFF and turns back into that byte on the way out.
// Valid UTF-8 (the common case) takes the native fast paths.

// ignoreBOM: a leading U+FEFF is part of the name, not a marker to strip.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there starts none. */
function sequenceLength(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  const cont = (k: number) => i + k < end && (b[i + k]! & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // UTF-16 surrogates are not characters
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

export function decodeName(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let out = "";
    for (let i = 0; i < bytes.length; ) {
      const n = sequenceLength(bytes, i, bytes.length);
      if (n === 0) {
        out += String.fromCharCode(0xdc00 + bytes[i]!);
        i += 1;
      } else {
        out += strictDecoder.decode(bytes.subarray(i, i + n));
        i += n;
      }
    }
    return out;
  }
}

export function encodeName(name: string): Uint8Array {
  if (name.isWellFormed()) return encoder.encode(name);
  const parts: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff) {
      parts.push(code - 0xdc00); // an escaped raw byte
      continue;
    }
    const isPair = code >= 0xd800 && code <= 0xdbff && i + 1 < name.length && (name.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const text = isPair ? name.slice(i, i + 2) : name[i]!;
    for (const byte of encoder.encode(text)) parts.push(byte);
    if (isPair) i++;
  }
  return Uint8Array.from(parts);
}

/** encodeName into `dest`; returns the bytes written, or -1 when the name does not fit. */
export function encodeNameInto(name: string, dest: Uint8Array): number {
  if (name.isWellFormed()) {
    const r = encoder.encodeInto(name, dest);
    return r.read < name.length ? -1 : r.written;
  }
  const bytes = encodeName(name);
  if (bytes.length > dest.length) return -1;
  dest.set(bytes);
  return bytes.length;
}
