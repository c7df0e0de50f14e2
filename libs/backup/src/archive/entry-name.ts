import { UnsafeEntryNameError } from './archive.errors';

/** Returns why `name` is unsafe as an archive entry name, or null when it is fine. */
export function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'it starts with a drive letter';
  if (name.split('/').includes('..')) return 'it contains a ".." segment';
  if (name.endsWith('/')) return 'it names a directory, not a file';
  if (Buffer.byteLength(name, 'utf8') > 0xffff) return 'it is longer than 65,535 bytes';
  return null;
}

/** Throws UnsafeEntryNameError unless `name` is a safe relative file name (zip-slip guard). */
export function assertSafeEntryName(name: string): void {
  const problem = entryNameProblem(name);
  if (problem) throw new UnsafeEntryNameError(name, problem);
}

/**
 * The one spelling of a (safe) entry name: "." and empty segments dropped, so `files/./x`,
 * `files//x` and `files/x` compare equal (they land on the same file when extracted).
 */
export function normalEntryName(name: string): string {
  return name
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}
