import { maxMultipartBytes, partSizeAt } from './s3-multipart.upload';

const MIB = 1024 * 1024;

describe('S3 part sizes', () => {
  it('keeps the base size for 2,000 parts, then doubles every 2,000 parts', () => {
    expect([1, 2000, 2001, 4000, 4001, 6001, 8001, 10000].map((n) => partSizeAt(n, 8 * MIB) / MIB)).toEqual([
      8, 8, 16, 16, 32, 64, 128, 128,
    ]);
  });

  it('never asks for a part above S3 limit of 5 GiB', () => {
    expect(partSizeAt(10_000, 1024 * MIB)).toBe(5 * 1024 ** 3);
  });

  it('10,000 parts hold 62,000 base parts', () => {
    expect(maxMultipartBytes(8 * MIB)).toBe(62_000 * 8 * MIB);
  });
});
