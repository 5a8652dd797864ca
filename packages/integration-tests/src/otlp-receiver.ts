import { startBodyServer } from './body-server';

/** An attribute value as OTLP/JSON carries it, decoded. */
export type OtlpValue = string | number | boolean | null;

/** One span as received, with its resource's attributes. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP's enum: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, OtlpValue>;
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: Record<string, OtlpValue> }>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  readonly resource: Record<string, OtlpValue>;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value of OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces). */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  /** Every request body as received, for "this never appears anywhere" checks. */
  readonly bodies: readonly string[];
  /** Requests that were not OTLP/JSON trace exports (answered 400/404/415). */
  readonly refused: readonly string[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** AnyValue of OTLP/JSON: int64 may come as a string (protobuf JSON mapping) or a number. */
function decodeValue(v: unknown): OtlpValue {
  if (!isObject(v)) return null;
  if (typeof v['stringValue'] === 'string') return v['stringValue'];
  if (typeof v['boolValue'] === 'boolean') return v['boolValue'];
  if (v['intValue'] !== undefined) return Number(v['intValue']);
  if (v['doubleValue'] !== undefined) return Number(v['doubleValue']);
  return null;
}

function decodeAttributes(v: unknown): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of objects(v)) if (typeof kv['key'] === 'string') out[kv['key']] = decodeValue(kv['value']);
  return out;
}

/** Unix nanoseconds (a string or number in OTLP/JSON) to milliseconds. */
const nanosToMs = (v: unknown): number => Number(BigInt(String(v ?? 0)) / 1000n) / 1000;

/** Decodes an ExportTraceServiceRequest in OTLP/JSON (ids as hex, as the OTLP/HTTP JSON encoding specifies). */
export function decodeOtlpJsonTraces(body: unknown): ReceivedSpan[] {
  if (!isObject(body) || !Array.isArray(body['resourceSpans'])) throw new TypeError('not an ExportTraceServiceRequest: no resourceSpans');
  const spans: ReceivedSpan[] = [];
  for (const rs of objects(body['resourceSpans'])) {
    const resource = decodeAttributes(isObject(rs['resource']) ? rs['resource']['attributes'] : undefined);
    for (const ss of objects(rs['scopeSpans'])) {
      for (const s of objects(ss['spans'])) {
        const status = isObject(s['status']) ? s['status'] : {};
        spans.push({
          traceId: String(s['traceId'] ?? ''),
          spanId: String(s['spanId'] ?? ''),
          parentSpanId: String(s['parentSpanId'] ?? ''),
          name: String(s['name'] ?? ''),
          kind: Number(s['kind'] ?? 0),
          startMs: nanosToMs(s['startTimeUnixNano']),
          endMs: nanosToMs(s['endTimeUnixNano']),
          attributes: decodeAttributes(s['attributes']),
          events: objects(s['events']).map((e) => ({ name: String(e['name'] ?? ''), attributes: decodeAttributes(e['attributes']) })),
          status: { code: Number(status['code'] ?? 0), message: String(status['message'] ?? '') },
          resource,
        });
      }
    }
  }
  return spans;
}

/** Bodies above this are refused (413): the exporter's batches are far smaller. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * A small OTLP/HTTP trace receiver run by a test (what Jaeger, Tempo or a collector is in
 * production): POST /v1/traces with an OTLP/JSON body is decoded and kept, and answered 200
 * with an empty ExportTraceServiceResponse. Anything else is refused and remembered.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const refused: string[] = [];
  const { port, close } = await startBodyServer(MAX_BODY_BYTES, (req, res, body) => {
    const what = `${req.method ?? '?'} ${req.url ?? ''} ${req.headers['content-type'] ?? ''}`;
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      refused.push(what);
      res.writeHead(404).end();
      return;
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      refused.push(what);
      res.writeHead(415).end();
      return;
    }
    const text = body.toString('utf8');
    try {
      spans.push(...decodeOtlpJsonTraces(JSON.parse(text)));
    } catch (error) {
      refused.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      res.writeHead(400).end();
      return;
    }
    bodies.push(text);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    bodies,
    refused,
    close,
  };
}
