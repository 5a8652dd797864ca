import { resolve } from 'node:path';
import { REPO_ROOT } from '../../src';

/** Where the ops files live, for the ops tests (the repository root comes from the harness). */
export const PROMETHEUS_DIR = resolve(REPO_ROOT, 'prometheus');
export const RULES_DIR = resolve(PROMETHEUS_DIR, 'rules');
export const RULE_FILES = [resolve(RULES_DIR, 'recording.yml'), resolve(RULES_DIR, 'alerts.yml')] as const;
export const PROMETHEUS_TESTS_DIR = resolve(PROMETHEUS_DIR, 'tests');
export const ALERTMANAGER_CONFIG = resolve(PROMETHEUS_DIR, 'alertmanager.yml');
export const OPERATING_DOC = resolve(REPO_ROOT, 'docs', 'OPERATING.md');
export const GRAFANA_DIR = resolve(REPO_ROOT, 'grafana');
export const DASHBOARDS_DIR = resolve(GRAFANA_DIR, 'dashboards');
export const DOCKER_DIR = resolve(REPO_ROOT, 'docker');
