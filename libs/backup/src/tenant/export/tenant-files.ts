import picomatch from 'picomatch';
import { SelectedFile, selectFiles } from '../../sources/file-selection';

/** The tenant's path patterns with `{tenant}` filled in (ids are validated to a safe alphabet first). */
export function tenantPatterns(patterns: string[], tenantId: string | number): string[] {
  return patterns.map((p) => p.split('{tenant}').join(String(tenantId)));
}

/** True when `relativePath` (below the app root, '/' separators) is one of the tenant's files. */
export function tenantFileMatcher(patterns: string[], tenantId: string | number): (relativePath: string) => boolean {
  const filled = tenantPatterns(patterns, tenantId).map((p) => p.replace(/^\.\//, ''));
  // A plain folder pattern means everything below it.
  const globs = filled.flatMap((p) => (picomatch.scan(p).isGlob ? [p] : [p, `${p.replace(/\/+$/, '')}/**`]));
  return picomatch(globs, { dot: true });
}

/** The tenant's files on disk now (unreadable ones are reported, never skipped silently). */
export async function liveTenantFiles(
  root: string,
  patterns: string[],
  tenantId: string | number,
  alwaysExclude: string[],
): Promise<SelectedFile[]> {
  const out: SelectedFile[] = [];
  if (patterns.length === 0) return out;
  for await (const f of selectFiles({
    root,
    include: tenantPatterns(patterns, tenantId),
    exclude: [],
    followSymlinks: false,
    alwaysExclude,
  })) {
    if ('unreadable' in f) {
      // A tenant without a folder simply has no files; anything else unreadable is an error.
      if ((f.error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw f.error;
    }
    out.push(f);
  }
  return out;
}
