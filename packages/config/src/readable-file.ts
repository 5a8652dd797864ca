import { accessSync, constants, statSync } from 'node:fs';

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read: permission denied',
  EPERM: 'cannot be read: permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'does not exist (a parent is not a directory)',
};

/** Why a file could not be read, as the end of a sentence that starts with its path. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined ? READ_ERRORS[code] : undefined) ?? `cannot be read: ${(error as Error).message}`;
}

/**
 * Why `path` is not a readable regular file (same wording as describeReadError), or undefined
 * when it is. Checked without opening it: opening a FIFO would block the start.
 */
export function unreadableReason(path: string): string | undefined {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return READ_ERRORS.EISDIR;
    if (!stats.isFile()) return 'is not a regular file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return describeReadError(error);
  }
}
