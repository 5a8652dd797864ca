import { ProxyServiceError } from '../src/errors';
import { DEFAULT_SAMPLE_RATIO, readTracingSettings } from '../src/tracing/tracing-settings';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4318' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ProxyServiceError ? error.code : `not a ProxyServiceError: ${String(error)}`;
  }
  return undefined;
}

describe('tracing settings from the standard OTEL_* variables', () => {
  it('is off without an OTLP endpoint, whatever else is set', () => {
    expect(readTracingSettings({})).toBeNull();
    expect(readTracingSettings({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeNull();
  });

  it('is off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none even with an endpoint', () => {
    expect(readTracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(readTracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
  });

  it('turns on with either endpoint variable, the traces one first, sampling 1 % of connections parent-based by default', () => {
    expect(readTracingSettings(ENDPOINT)).toEqual({
      endpoint: { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://tempo:4318' },
      sampler: { kind: 'parentbased_traceidratio', ratio: DEFAULT_SAMPLE_RATIO },
      serviceName: 'stratum-relay',
      warnings: [],
    });
    expect(DEFAULT_SAMPLE_RATIO).toBe(0.01);
    const both = readTracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces', OTEL_SERVICE_NAME: 'relay-eu' });
    expect({ endpoint: both?.endpoint, serviceName: both?.serviceName }).toEqual({
      endpoint: { variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value: 'http://jaeger:4318/v1/traces' },
      serviceName: 'relay-eu',
    });
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER_ARG: '0.25' }, { kind: 'parentbased_traceidratio', ratio: 0.25 }],
    [{ OTEL_TRACES_SAMPLER: 'always_on' }, { kind: 'always_on' }],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, { kind: 'always_off' }],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, { kind: 'parentbased_always_on' }],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, { kind: 'parentbased_always_off' }],
    // Named explicitly without an argument: the specification's default, everything.
    [{ OTEL_TRACES_SAMPLER: 'traceidratio' }, { kind: 'traceidratio', ratio: 1 }],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, { kind: 'parentbased_traceidratio', ratio: 0 }],
  ])('reads the sampler %j', (env, sampler) => {
    expect(readTracingSettings({ ...ENDPOINT, ...env })?.sampler).toEqual(sampler);
  });

  it.each([
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }],
    [{ OTEL_TRACES_SAMPLER_ARG: '-0.1' }],
    [{ OTEL_TRACES_SAMPLER_ARG: '1%' }],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318:x' }],
  ])('refuses %j at start (SRL_ERR_TRACING_CONFIG) instead of tracing everything or nothing', (env) => {
    expect(codeOf(() => readTracingSettings({ ...ENDPOINT, ...env }))).toBe('SRL_ERR_TRACING_CONFIG');
  });

  it('names the variable and what it accepts in the message', () => {
    expect(() => readTracingSettings({ ...ENDPOINT, OTEL_TRACES_SAMPLER_ARG: '5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG=5: expected a sampling ratio between 0 and 1/);
  });

  it('sends http/json when asked for http/protobuf, and says so', () => {
    expect(readTracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })?.warnings).toEqual([
      expect.stringContaining('this relay sends http/json'),
    ]);
    expect(readTracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })?.warnings).toEqual([]);
  });
});
