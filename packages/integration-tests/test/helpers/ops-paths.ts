import { resolve } from 'node:path';

/** Repository root (this file is packages/integration-tests/test/helpers/ops-paths.ts). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
export const PROMETHEUS_DIR = resolve(REPO_ROOT, 'prometheus');
export const RULES_DIR = resolve(PROMETHEUS_DIR, 'rules');
export const RULE_FILES = [resolve(RULES_DIR, 'recording.yml'), resolve(RULES_DIR, 'alerts.yml')] as const;
export const PROMETHEUS_TESTS_DIR = resolve(PROMETHEUS_DIR, 'tests');
export const GRAFANA_DIR = resolve(REPO_ROOT, 'grafana');
export const DASHBOARDS_DIR = resolve(GRAFANA_DIR, 'dashboards');
export const DOCKER_DIR = resolve(REPO_ROOT, 'docker');
