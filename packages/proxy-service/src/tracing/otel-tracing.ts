/**
 * The OpenTelemetry SDK, set up for the relay's spans. Loaded only when tracing is on
 * (open-tracing.ts imports it on demand), so a relay without OTEL_EXPORTER_OTLP_ENDPOINT never
 * loads the SDK.
 */
import { hostname } from 'node:os';
import { DiagLogLevel, diag, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { ConnectionSpans } from './connection-spans';
import type { TracingSampler, TracingSettings } from './tracing-settings';

/** pino's shape, loosely typed (as ObservabilityOptions.logger). */
export interface TracingLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TracingOptions {
  readonly version: string;
  readonly logger: TracingLog;
  /** Where spans go (default: OTLP/HTTP as the OTEL_EXPORTER_OTLP_* variables say); tests pass an in-memory one. */
  readonly exporter?: SpanExporter;
  /** How long shutdown may take to send what is queued (default 5 s). */
  readonly shutdownTimeoutMs?: number;
}

/** The relay's tracing, running. */
export interface Tracing {
  /** Subscribe to the event bus (after the collector) and hand the collector `spans.shares`. */
  readonly spans: ConnectionSpans;
  /** Ends open spans and sends what is queued, within the shutdown deadline. Never rejects. */
  close(): Promise<void>;
}

/** SDK complaints (a failed export, most often) at most this often, with a count of the rest. */
const DIAG_INTERVAL_MS = 60_000;

export function samplerOf(s: TracingSampler): Sampler {
  switch (s.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(s.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.ratio) });
  }
}

/**
 * The SDK reports export failures through `diag`, which says nothing unless given a logger: a
 * collector that is down would go unnoticed. Its warnings and errors become the relay's warn
 * lines, one per minute at most (an unreachable collector fails every batch).
 */
function diagLogger(logger: TracingLog): DiagLogger {
  let lastAt = -Infinity;
  let suppressed = 0;
  const report = (message: string, args: unknown[]): void => {
    const now = Date.now();
    if (now - lastAt < DIAG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    lastAt = now;
    const detail = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    logger.warn({ suppressed, detail: detail.slice(0, 500) }, `tracing: ${message}`);
    suppressed = 0;
  };
  const ignore = (): void => undefined;
  return { error: (m, ...a) => report(m, a), warn: (m, ...a) => report(m, a), info: ignore, debug: ignore, verbose: ignore };
}

/**
 * Starts the tracer provider: resource `service.name` (OTEL_SERVICE_NAME, default
 * stratum-relay), `service.version`, `service.instance.id` (host and pid: each worker of
 * WORKERS>1 exports its own spans) and whatever OTEL_RESOURCE_ATTRIBUTES adds; the sampler from
 * the settings; a batch processor (OTEL_BSP_* apply) in front of the OTLP/HTTP exporter
 * (OTEL_EXPORTER_OTLP_* apply: endpoint, headers, timeout, compression).
 */
export function startTracing(settings: TracingSettings, options: TracingOptions): Tracing {
  diag.setLogger(diagLogger(options.logger), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: settings.serviceName,
    [ATTR_SERVICE_VERSION]: options.version,
    'service.instance.id': `${hostname()}/${process.pid}`,
  }).merge(detectResources({ detectors: [envDetector] }));
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerOf(settings.sampler),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const spans = new ConnectionSpans(provider.getTracer('stratum-relay', options.version));
  const sampler = settings.sampler;
  options.logger.info(
    {
      [settings.endpoint.variable.toLowerCase()]: settings.endpoint.value,
      sampler: sampler.kind,
      ...('ratio' in sampler ? { ratio: sampler.ratio } : {}),
      service_name: settings.serviceName,
    },
    'tracing on: spans for miner connections, pool connects and submits',
  );
  for (const warning of settings.warnings) options.logger.warn({}, `tracing: ${warning}`);

  let closed: Promise<void> | null = null;
  return {
    spans,
    close() {
      closed ??= (async () => {
        spans.detach();
        // Still open here: connections handed to another process (an upgrade) or cut by shutdown.
        spans.endAll('process_exit');
        const deadline = options.shutdownTimeoutMs ?? 5_000;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), deadline);
          timer.unref();
        });
        const outcome = await Promise.race([provider.shutdown().then(() => 'sent' as const), late]).catch((error: unknown) => {
          options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'tracing: the last spans could not be sent');
          return 'failed' as const;
        });
        clearTimeout(timer);
        if (outcome === 'late') options.logger.warn({ deadline_ms: deadline }, 'tracing: the last spans were not sent within the shutdown deadline');
        diag.disable();
      })();
      return closed;
    },
  };
}
