import { ProxyServiceError } from '../errors';

/** How root spans (miner connections) are sampled; children follow their parent. */
export type TracingSampler =
  | { readonly kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { readonly kind: 'traceidratio' | 'parentbased_traceidratio'; readonly ratio: number };

/** Tracing as the standard OTEL_* variables ask for it; null = off (nothing is loaded). */
export interface TracingSettings {
  /** The endpoint variable that turned tracing on, and its value (for the start-up log line). */
  readonly endpoint: { readonly variable: string; readonly value: string };
  readonly sampler: TracingSampler;
  /** OTEL_SERVICE_NAME, default `stratum-relay`. */
  readonly serviceName: string;
  /** Why the configuration differs from what was asked (logged once at start), e.g. a protocol. */
  readonly warnings: readonly string[];
}

/** Without OTEL_TRACES_SAMPLER: 1 % of miner connections, each traced whole (issue 15). */
export const DEFAULT_SAMPLE_RATIO = 0.01;

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

type Env = Readonly<Record<string, string | undefined>>;

const value = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

function invalid(message: string): ProxyServiceError {
  return new ProxyServiceError('SRL_ERR_TRACING_CONFIG', message);
}

/**
 * Reads the OpenTelemetry SDK's standard variables that decide whether the relay traces and how
 * it samples. Tracing is on only when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keep it
 * off); everything else about the export (headers, timeout, compression, batching, resource
 * attributes) the SDK reads itself. A sampler the relay cannot honour is a start error, not the
 * SDK's silent fallback to tracing everything.
 * @throws ProxyServiceError SRL_ERR_TRACING_CONFIG naming the variable and what it accepts.
 */
export function readTracingSettings(env: Env): TracingSettings | null {
  const tracesEndpoint = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = tracesEndpoint ?? value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return null;
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporter = value(env, 'OTEL_TRACES_EXPORTER');
  if (exporter === 'none') return null;
  if (exporter !== undefined && exporter !== 'otlp') {
    throw invalid(`OTEL_TRACES_EXPORTER=${exporter}: this relay exports traces over OTLP/HTTP only (otlp, or none to turn tracing off)`);
  }
  let scheme = '';
  try {
    scheme = new URL(endpoint).protocol;
  } catch {
    scheme = '';
  }
  if (scheme !== 'http:' && scheme !== 'https:') {
    const variable = tracesEndpoint !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
    throw invalid(`${variable}=${endpoint}: not an http:// or https:// URL (e.g. http://tempo:4318)`);
  }

  const warnings: string[] = [];
  const protocol = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol === 'grpc') {
    throw invalid('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: this relay sends OTLP over HTTP (http/json); point the endpoint at the receiver\'s HTTP port (4318)');
  }
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw invalid(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: expected http/json (what this relay sends) or http/protobuf`);
  }
  if (protocol === 'http/protobuf') {
    warnings.push('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: this relay sends http/json, which OTLP/HTTP receivers accept on the same endpoint');
  }

  return {
    endpoint: { variable: tracesEndpoint !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT', value: endpoint },
    sampler: readSampler(env),
    serviceName: value(env, 'OTEL_SERVICE_NAME') ?? 'stratum-relay',
    warnings,
  };
}

/**
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG. Unset: parentbased_traceidratio at
 * OTEL_TRACES_SAMPLER_ARG or 1 %. A ratio sampler named explicitly without an argument samples
 * everything, as the specification says.
 */
function readSampler(env: Env): TracingSampler {
  const name = value(env, 'OTEL_TRACES_SAMPLER');
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  const kind = name === undefined ? 'parentbased_traceidratio' : SAMPLERS.find((s) => s === name);
  if (kind === undefined) {
    throw invalid(`OTEL_TRACES_SAMPLER=${name ?? ''}: expected one of ${SAMPLERS.join(', ')} (remote samplers such as jaeger_remote are not supported)`);
  }
  if (kind !== 'traceidratio' && kind !== 'parentbased_traceidratio') return { kind };
  if (arg === undefined) return { kind, ratio: name === undefined ? DEFAULT_SAMPLE_RATIO : 1 };
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw invalid(`OTEL_TRACES_SAMPLER_ARG=${arg}: expected a sampling ratio between 0 and 1 (0.01 = 1 % of miner connections)`);
  }
  return { kind, ratio };
}
