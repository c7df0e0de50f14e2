import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { pbkdf2Sha1, simdEngine } from './pbkdf2-sha1';

describe('pbkdf2Sha1 (WebAssembly SIMD, 1000 iterations)', () => {
  it('runs on WebAssembly SIMD on this machine (else every derivation falls back to OpenSSL)', () => {
    expect(simdEngine()).not.toBeNull();
  });

  it('gives the bytes OpenSSL gives, for every salt length WinZip AES uses and passwords of any length', () => {
    const passwords = [
      Buffer.alloc(0),
      Buffer.from('p'),
      Buffer.from('correct horse battery staple'),
      Buffer.from('pässwörd ✓ 密码'),
      randomBytes(64),
      randomBytes(65),
      randomBytes(200),
    ];
    for (const password of passwords) {
      for (const [saltLength, length] of [
        [8, 34],
        [12, 50],
        [16, 66],
      ]) {
        for (let i = 0; i < 4; i++) {
          const salt = randomBytes(saltLength);
          expect(pbkdf2Sha1(password, salt, length).toString('hex')).toBe(pbkdf2Sync(password, salt, 1000, length, 'sha1').toString('hex'));
        }
      }
    }
  });

  it("gives OpenSSL's bytes for outputs over four blocks too (those are derived by OpenSSL)", () => {
    const salt = Buffer.from('saltSALTsaltSALTsaltSALTsaltSALTsalt');
    expect(pbkdf2Sha1(Buffer.from('passwordPASSWORDpassword'), salt, 100)).toEqual(
      pbkdf2Sync('passwordPASSWORDpassword', salt, 1000, 100, 'sha1'),
    );
  });

  it('leaves no pad state or chain in the engine memory after a derivation', () => {
    pbkdf2Sha1(Buffer.from('secret'), randomBytes(16), 66);
    expect([...simdEngine()!.words].every((w) => w === 0)).toBe(true);
  });
});
