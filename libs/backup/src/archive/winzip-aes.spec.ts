import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { deriveKeys, WinZipAesCtr, WinZipAesDecryptor, WinZipAesEncryptor } from './winzip-aes';

describe('WinZip AES primitives', () => {
  const key = Buffer.alloc(32, 7);

  it('uses a little-endian counter that starts at 1', () => {
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    const block = (n: number) => {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(n, 0);
      return b;
    };
    const expected = Buffer.concat([ecb.update(block(1)), ecb.update(block(2)), ecb.update(block(256))]);
    const stream = new WinZipAesCtr(key).process(Buffer.alloc(256 * 16));
    expect(stream.subarray(0, 32).equals(expected.subarray(0, 32))).toBe(true);
    expect(stream.subarray(255 * 16, 256 * 16).equals(expected.subarray(32))).toBe(true);
  });

  it('gives the same keystream however the data is split (odd offsets, partial blocks)', () => {
    const data = randomBytes(300_001);
    const whole = new WinZipAesCtr(key).process(Buffer.from(data));
    const ctr = new WinZipAesCtr(key);
    const pieces: Buffer[] = [];
    for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7 + 3) % 70_001) {
      pieces.push(ctr.process(Buffer.from(data.subarray(i, i + step))));
    }
    expect(Buffer.concat(pieces).equals(whole)).toBe(true);
    expect(whole.equals(data)).toBe(false);
  });

  it('derives key, HMAC key and verifier with PBKDF2-HMAC-SHA1 x1000', async () => {
    const salt = Buffer.alloc(16, 1);
    const keys = await deriveKeys('pässword', salt, 3);
    const raw = pbkdf2Sync(Buffer.from('pässword'), salt, 1000, 66, 'sha1');
    expect(keys.aesKey.equals(raw.subarray(0, 32))).toBe(true);
    expect(keys.hmacKey.equals(raw.subarray(32, 64))).toBe(true);
    expect(keys.verifier.equals(raw.subarray(64))).toBe(true);
  });

  it('round-trips and authenticates; a flipped bit fails the MAC', async () => {
    const keys = await deriveKeys('pw', randomBytes(16), 3);
    const plain = randomBytes(100_000);
    const enc = new WinZipAesEncryptor(keys);
    const cipher = Buffer.concat([enc.encrypt(Buffer.from(plain.subarray(0, 33))), enc.encrypt(Buffer.from(plain.subarray(33)))]);
    const mac = enc.mac();
    expect(mac).toHaveLength(10);
    const dec = new WinZipAesDecryptor(keys);
    expect(dec.decrypt(cipher).equals(plain)).toBe(true);
    expect(dec.macMatches(mac)).toBe(true);
    cipher[500] ^= 1;
    const bad = new WinZipAesDecryptor(keys);
    bad.decrypt(cipher);
    expect(bad.macMatches(mac)).toBe(false);
  });
});
