import { resolve } from 'node:path';

/**
 * Absolute path of the browser assets (`trace-view.js`, `trace-model.js`, `trace-view.css`).
 * The same from `src/` under jest and from `dist/` once built: both sit next to `assets/`.
 */
export const TRACE_VIEW_ASSETS_DIR: string = resolve(__dirname, '..', 'assets');

/**
 * The files a server should expose from TRACE_VIEW_ASSETS_DIR, with their content types.
 * Serve them all under one URL prefix: `trace-view.js` imports `./trace-model.js`. Serving
 * from this list (not from a directory listing) keeps request paths out of the file system.
 */
export const TRACE_VIEW_ASSET_FILES: ReadonlyArray<{ readonly name: string; readonly contentType: string }> = Object.freeze([
  Object.freeze({ name: 'trace-view.js', contentType: 'text/javascript; charset=utf-8' }),
  Object.freeze({ name: 'trace-model.js', contentType: 'text/javascript; charset=utf-8' }),
  Object.freeze({ name: 'trace-view.css', contentType: 'text/css; charset=utf-8' }),
]);
