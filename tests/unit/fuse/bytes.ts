// Test helper: build FUSE request bytes by hand (little-endian fields, NUL-terminated names).

export class Bytes {
  private parts: number[] = [];
  u16(v: number): this {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt(v);
    for (let i = 0; i < 8; i++, b >>= 8n) this.parts.push(Number(b & 0xffn));
    return this;
  }
  str(s: string): this {
    for (const c of new TextEncoder().encode(s)) this.parts.push(c);
    this.parts.push(0);
    return this;
  }
  raw(b: Uint8Array): this {
    for (const c of b) this.parts.push(c);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A whole request: fuse_in_header (40 bytes) + body. */
export function request(opcode: number, nodeid: number, body: Bytes | Uint8Array = new Uint8Array(0), unique = 7n): Uint8Array {
  const b = body instanceof Bytes ? body.bytes() : body;
  return new Bytes().u32(40 + b.length).u32(opcode).u64(unique).u64(nodeid).u32(1000).u32(100).u32(4242).u32(0).raw(b).bytes();
}

/** A decoded reply: header fields and a DataView of the payload. */
export interface Reply {
  len: number;
  error: number;
  unique: bigint;
  body: Uint8Array;
  dv: DataView;
}

export function parseReply(msg: Uint8Array): Reply {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const body = msg.subarray(16);
  return {
    len: dv.getUint32(0, true), error: dv.getInt32(4, true), unique: dv.getBigUint64(8, true), body,
    dv: new DataView(body.buffer, body.byteOffset, body.byteLength),
  };
}
