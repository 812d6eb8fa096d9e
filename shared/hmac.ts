// HMAC-SHA256 (RFC 2104, FIPS 180-4) of many short messages under one key, in JavaScript: the
// key's inner and outer pad blocks are hashed once, so a message costs only its own blocks and
// one outer block, with no object per call. Written here because every value the release layer
// gives out is one keyed hash of its unit (query-api/privacy/release.ts): node:crypto's
// createHmac costs ~1.9 µs a call (an object and a native round trip each), this ~1 µs, and the
// JavaScript libraries measured (@noble/hashes: ~4 µs) are slower still. hmac.test.ts checks every
// output against node:crypto.

import { createHash } from 'node:crypto';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
const W = new Int32Array(64);

/** SHA-256's compression of the 64-byte block at `off` of `buf` into state `h`. */
function compress(h: Int32Array, buf: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    W[i] = (buf[j]! << 24) | (buf[j + 1]! << 16) | (buf[j + 2]! << 8) | buf[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  let e = h[4]!;
  let f = h[5]!;
  let g = h[6]!;
  let k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + k) | 0;
}

/** Pads the `n` message bytes at the start of `buf` (hashed after `prefix` bytes) and returns the padded length. */
function pad(buf: Uint8Array, n: number, prefix: number): number {
  const len = Math.ceil((n + 9) / BLOCK) * BLOCK;
  buf[n] = 0x80;
  buf.fill(0, n + 1, len - 8);
  const bits = (prefix + n) * 8;
  const hi = Math.floor(bits / 2 ** 32);
  buf[len - 8] = hi >>> 24;
  buf[len - 7] = (hi >>> 16) & 0xff;
  buf[len - 6] = (hi >>> 8) & 0xff;
  buf[len - 5] = hi & 0xff;
  buf[len - 4] = bits >>> 24;
  buf[len - 3] = (bits >>> 16) & 0xff;
  buf[len - 2] = (bits >>> 8) & 0xff;
  buf[len - 1] = bits & 0xff;
  return len;
}

/** HMAC-SHA256 under one key. Not safe to share between concurrent users of its result (it reuses its state). */
export class HmacSha256 {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly last = new Uint8Array(BLOCK);
  private buf = Buffer.alloc(1024);

  constructor(key: Buffer) {
    const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
    const block = new Uint8Array(BLOCK);
    for (const [state, byte] of [
      [this.inner, 0x36],
      [this.outer, 0x5c],
    ] as const) {
      block.fill(byte);
      for (let i = 0; i < k.length; i++) block[i] = byte ^ k[i]!;
      state.set(IV);
      compress(state, block, 0);
    }
  }

  /** The digest of `message` (UTF-8) as eight big-endian 32-bit words; the array is overwritten by the next call. */
  words(message: string): Int32Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; padding at most 72 more.
    if (message.length * 3 + 2 * BLOCK > this.buf.length) this.buf = Buffer.alloc(message.length * 3 + 2 * BLOCK);
    const n = this.buf.write(message, 0, 'utf8');
    const h = this.state;
    h.set(this.inner);
    const len = pad(this.buf, n, BLOCK);
    for (let off = 0; off < len; off += BLOCK) compress(h, this.buf, off);
    const out = this.last;
    for (let i = 0; i < 8; i++) {
      const w = h[i]!;
      out[i * 4] = w >>> 24;
      out[i * 4 + 1] = (w >>> 16) & 0xff;
      out[i * 4 + 2] = (w >>> 8) & 0xff;
      out[i * 4 + 3] = w & 0xff;
    }
    pad(out, 32, BLOCK);
    h.set(this.outer);
    compress(h, out, 0);
    return h;
  }

  /** The digest of `message` as 32 bytes. */
  digest(message: string): Buffer {
    const h = this.words(message);
    const out = Buffer.alloc(32);
    for (let i = 0; i < 8; i++) out.writeInt32BE(h[i]!, i * 4);
    return out;
  }
}
