import { UnsafeEntryNameError } from './archive.errors';
import { assertSafeEntryName, entryNameProblem, normalEntryName } from './entry-name';

describe('entry name checks (zip-slip)', () => {
  it.each(['db/app.sql', 'files/ünï cødé.txt', 'a..b/c..d.txt', '.hidden', 'x/./y'])('accepts %j', (name) => {
    expect(entryNameProblem(name)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['../x', /\.\./],
    ['a/../../x', /\.\./],
    ['a/..', /\.\./],
    ['C:/x', /drive/],
    ['c:x', /drive/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['dir/', /directory/],
  ])('refuses %j', (name, reason) => {
    expect(entryNameProblem(name)).toMatch(reason);
    expect(() => assertSafeEntryName(name)).toThrow(UnsafeEntryNameError);
  });

  it.each([
    ['files/./x', 'files/x'],
    ['files//x', 'files/x'],
    ['files/./a//./b.txt', 'files/a/b.txt'],
    ['files/x', 'files/x'],
  ])('spells %j as %j (one path on disk)', (name, normal) => {
    expect(normalEntryName(name)).toBe(normal);
  });
});
