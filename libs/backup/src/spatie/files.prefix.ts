import { RestoreRequestError } from '../restore/restore.errors';

/** The prefix cut off spatie's file entries, and how it was chosen (said in the restore's output). */
export interface FilesPrefix {
  prefix: string;
  how: 'flag' | 'app-root' | 'common-root';
}

/** `var/www/app` or `/var/www/app/` → `var/www/app/`; `` or `/` → `` (nothing stripped). */
export function normalPrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed ? `${trimmed}/` : '';
}

/** The deepest folder every path lies in (`a/b/`), or `` when they share none. */
export function commonRoot(paths: string[]): string {
  if (paths.length === 0) return '';
  let common = paths[0].split('/').slice(0, -1);
  for (const p of paths.slice(1)) {
    const dirs = p.split('/').slice(0, -1);
    let i = 0;
    while (i < common.length && i < dirs.length && common[i] === dirs[i]) i++;
    common = common.slice(0, i);
  }
  return common.length ? `${common.join('/')}/` : '';
}

/**
 * Which prefix to strip from spatie's file entries so they land below the restore root:
 * 1. the one named with --strip-prefix;
 * 2. else the app root itself (without its leading slash) when every file lies below it: the
 *    archive was made of an app at the same path, so each file goes back where it was;
 * 3. else, for a restore to --files-to, the files' common root folder;
 *    for a restore in place, the common root only when there is none (entries already relative
 *    to the app, spatie's `relative_path`): a guessed root could scatter files over the app, so
 *    the operator is asked to name it.
 */
export function chooseFilesPrefix(paths: string[], params: { appRoot: string; inPlace: boolean; stripPrefix?: string }): FilesPrefix {
  if (params.stripPrefix !== undefined) {
    if (params.stripPrefix.split(/[\\/]+/).includes('..')) {
      throw new RestoreRequestError(
        `--strip-prefix "${params.stripPrefix}" contains a ".." segment; nothing was changed`,
        'Name a folder as the archive lists it, e.g. var/www/app/.',
      );
    }
    const prefix = normalPrefix(params.stripPrefix);
    const outside = paths.filter((p) => !p.startsWith(prefix) || p === prefix);
    if (outside.length) {
      const shown =
        outside
          .slice(0, 5)
          .map((p) => `"${p}"`)
          .join(', ') + (outside.length > 5 ? ` and ${outside.length - 5} more` : '');
      throw new RestoreRequestError(
        `--strip-prefix "${prefix}": ${outside.length} file(s) of the archive are not below it (${shown}); nothing was changed`,
        `Name a shorter prefix; the files' common root is "${commonRoot(paths) || '(none)'}".`,
      );
    }
    return { prefix, how: 'flag' };
  }
  const appRoot = normalPrefix(params.appRoot);
  if (appRoot && paths.length && paths.every((p) => p.startsWith(appRoot))) return { prefix: appRoot, how: 'app-root' };
  const root = commonRoot(paths);
  if (params.inPlace && root) {
    throw new RestoreRequestError(
      `The archive holds its files under "${root}", not under this app's root ${params.appRoot}; restoring them in place needs to know which part of that path was the app; nothing was changed`,
      `Pass --strip-prefix with the part of it that was the old app root (an app that lived in /var/www/app: --strip-prefix var/www/app/) so the rest lands below ${params.appRoot}, or restore beside it with --files-to <dir>.`,
    );
  }
  return { prefix: root, how: 'common-root' };
}
