import type { Tracing, TracingOptions } from './otel-tracing';
import type { TracingSettings } from './tracing-settings';

/**
 * Tracing for these settings, or null when they are null (no OTEL_EXPORTER_OTLP_ENDPOINT). The
 * SDK is required here and only here, on demand: with tracing off the relay never loads it and
 * pays nothing, not even its start-up time.
 */
export async function openTracing(settings: TracingSettings | null, options: TracingOptions): Promise<Tracing | null> {
  if (settings === null) return null;
  const { startTracing } = await import('./otel-tracing');
  return startTracing(settings, options);
}
