import { createCipheriv, createHmac, Hmac, pbkdf2, pbkdf2Sync, Cipher } from 'node:crypto';
import { endianness } from 'node:os';
import { pbkdf2Sha1, simdEngine } from './pbkdf2-sha1';

/** WinZip AES strength 3 = AES-256: 16-byte salt, 32-byte key. */
export const AES256_STRENGTH = 3;
export const AES_MAC_LENGTH = 10;
export const AES_VERIFIER_LENGTH = 2;

export function saltLength(strength: number): number {
  return [0, 8, 12, 16][strength] ?? 0;
}

export interface WinZipAesKeys {
  aesKey: Buffer;
  hmacKey: Buffer;
  verifier: Buffer;
}

/**
 * PBKDF2-HMAC-SHA1, 1000 iterations, as the WinZip AES spec fixes it: with WebAssembly SIMD
 * (pbkdf2-sha1.ts, about 3 times OpenSSL's speed), else on the thread pool with OpenSSL.
 */
export async function deriveKeys(password: string, salt: Buffer, strength: number): Promise<WinZipAesKeys> {
  const length = 2 * keyLength(strength) + 2;
  const out = simdEngine()
    ? pbkdf2Sha1(Buffer.from(password, 'utf8'), salt, length)
    : await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(Buffer.from(password, 'utf8'), salt, 1000, length, 'sha1', (err, key) => (err ? reject(err) : resolve(key))),
      );
  return splitKeys(out, strength);
}

/** deriveKeys on the calling thread (an entry encoder's worker, which has nothing else to do). */
export function deriveKeysSync(password: string, salt: Buffer, strength: number): WinZipAesKeys {
  const length = 2 * keyLength(strength) + 2;
  const pw = Buffer.from(password, 'utf8');
  return splitKeys(simdEngine() ? pbkdf2Sha1(pw, salt, length) : pbkdf2Sync(pw, salt, 1000, length, 'sha1'), strength);
}

function keyLength(strength: number): number {
  return 8 * (strength + 1);
}

function splitKeys(out: Buffer, strength: number): WinZipAesKeys {
  const keyLen = keyLength(strength);
  return {
    aesKey: out.subarray(0, keyLen),
    hmacKey: out.subarray(keyLen, 2 * keyLen),
    verifier: out.subarray(2 * keyLen, 2 * keyLen + 2),
  };
}

const LITTLE_ENDIAN = endianness() === 'LE';
const MAX_BLOCKS = 4096; // 64 KiB of keystream per cipher call

/**
 * AES-CTR as WinZip AES defines it: a little-endian counter that starts at 1. Node's
 * aes-*-ctr counts big-endian, so the keystream is made with ECB over counter blocks, in
 * large batches, and XORed in 32-bit words.
 */
export class WinZipAesCtr {
  private readonly ecb: Cipher;
  private counter = 0;
  private keystream = Buffer.alloc(0);
  private keystreamPos = 0;

  constructor(key: Buffer) {
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
  }

  /** Encrypts or decrypts `data` in place (CTR is symmetric) and returns it. */
  process(data: Buffer): Buffer {
    let i = 0;
    const n = data.length;
    while (i < n) {
      if (this.keystreamPos === this.keystream.length) this.refill(n - i);
      const take = Math.min(n - i, this.keystream.length - this.keystreamPos);
      xorInto(data, i, this.keystream, this.keystreamPos, take);
      i += take;
      this.keystreamPos += take;
    }
    return data;
  }

  private refill(wanted: number): void {
    const blocks = Math.min(MAX_BLOCKS, Math.ceil(wanted / 16));
    const counters = Buffer.allocUnsafeSlow(blocks * 16).fill(0);
    if (LITTLE_ENDIAN) {
      const words = new Uint32Array(counters.buffer, counters.byteOffset, blocks * 4);
      for (let b = 0; b < blocks; b++) {
        const c = ++this.counter;
        words[b * 4] = c >>> 0;
        words[b * 4 + 1] = Math.floor(c / 0x100000000);
      }
    } else {
      for (let b = 0; b < blocks; b++) {
        const c = ++this.counter;
        counters.writeUInt32LE(c >>> 0, b * 16);
        counters.writeUInt32LE(Math.floor(c / 0x100000000), b * 16 + 4);
      }
    }
    this.keystream = this.ecb.update(counters);
    this.keystreamPos = 0;
  }
}

/** data[di..di+len) ^= ks[ki..ki+len), word-wise where both sides are 4-byte aligned alike. */
function xorInto(data: Buffer, di: number, ks: Buffer, ki: number, len: number): void {
  let i = 0;
  const dAbs = data.byteOffset + di;
  const kAbs = ks.byteOffset + ki;
  if ((dAbs & 3) === (kAbs & 3)) {
    // Bytes until both are aligned, then words.
    while (i < len && ((dAbs + i) & 3) !== 0) {
      data[di + i] ^= ks[ki + i];
      i++;
    }
    const words = (len - i) >>> 2;
    if (words > 0) {
      const d32 = new Uint32Array(data.buffer, dAbs + i, words);
      const k32 = new Uint32Array(ks.buffer, kAbs + i, words);
      for (let w = 0; w < words; w++) d32[w] ^= k32[w];
      i += words * 4;
    }
  }
  for (; i < len; i++) data[di + i] ^= ks[ki + i];
}

/** Encrypts data for one entry and keeps the HMAC-SHA1 of the ciphertext. */
export class WinZipAesEncryptor {
  private readonly ctr: WinZipAesCtr;
  private readonly hmac: Hmac;

  constructor(keys: WinZipAesKeys) {
    this.ctr = new WinZipAesCtr(keys.aesKey);
    this.hmac = createHmac('sha1', keys.hmacKey);
  }

  /** Encrypts in place. */
  encrypt(plain: Buffer): Buffer {
    const cipher = this.ctr.process(plain);
    this.hmac.update(cipher);
    return cipher;
  }

  /** The 10-byte authentication code that ends the entry data. */
  mac(): Buffer {
    return this.hmac.digest().subarray(0, AES_MAC_LENGTH);
  }
}

/** Decrypts one entry's ciphertext and checks its HMAC at the end. */
export class WinZipAesDecryptor {
  private readonly ctr: WinZipAesCtr;
  private readonly hmac: Hmac;

  constructor(keys: WinZipAesKeys) {
    this.ctr = new WinZipAesCtr(keys.aesKey);
    this.hmac = createHmac('sha1', keys.hmacKey);
  }

  /** Decrypts; `cipher` is copied first because the caller's buffer may be shared. */
  decrypt(cipher: Buffer): Buffer {
    this.hmac.update(cipher);
    return this.ctr.process(Buffer.from(cipher));
  }

  macMatches(expected: Buffer): boolean {
    return this.hmac.digest().subarray(0, AES_MAC_LENGTH).equals(expected);
  }
}
