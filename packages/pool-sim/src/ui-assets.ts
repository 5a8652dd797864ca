import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TRACE_VIEW_ASSETS_DIR, TRACE_VIEW_ASSET_FILES } from '@stratum-relay/trace-view';

/** The page's own files: packages/pool-sim/ui, next to src/ and dist/. */
const UI_DIR = resolve(__dirname, '..', 'ui');
const PAGE_FILES = [
  { name: 'index.html', contentType: 'text/html; charset=utf-8' },
  { name: 'pool-sim-ui.js', contentType: 'text/javascript; charset=utf-8' },
  { name: 'pool-sim-ui.css', contentType: 'text/css; charset=utf-8' },
] as const;

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Every file of pool-sim's page by URL path, read once when the control server starts (a few
 * KiB). Only these paths are served: a request path never reaches the file system.
 * `/ui` is the page; the trace component comes from @stratum-relay/trace-view under
 * `/ui/trace-view/` (its script imports its sibling modules relatively).
 */
export function loadUiAssets(): ReadonlyMap<string, UiAsset> {
  const assets = new Map<string, UiAsset>();
  for (const f of PAGE_FILES) {
    const asset = { body: readFileSync(join(UI_DIR, f.name)), contentType: f.contentType };
    assets.set(f.name === 'index.html' ? '/ui' : `/ui/${f.name}`, asset);
  }
  for (const f of TRACE_VIEW_ASSET_FILES) {
    assets.set(`/ui/trace-view/${f.name}`, { body: readFileSync(join(TRACE_VIEW_ASSETS_DIR, f.name)), contentType: f.contentType });
  }
  return assets;
}
