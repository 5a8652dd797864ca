/**
 * The program's version, reported in logs and /status. Kept in step with package.json by a
 * test rather than read from disk at start (the config package is the only one reading files).
 */
export const VERSION = '0.1.0';
