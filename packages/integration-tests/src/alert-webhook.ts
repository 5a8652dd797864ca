import { startBodyServer } from './body-server';

/** One alert of an Alertmanager webhook notification (webhook payload version 4). */
export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** One notification as received: the URL path it was posted to and its decoded body. */
export interface WebhookNotification {
  /** e.g. `/page` (the path of the receiver's url). */
  readonly path: string;
  /** Local receive time (Date.now()). */
  readonly at: number;
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly groupLabels: Record<string, string>;
  readonly alerts: readonly WebhookAlert[];
}

export interface AlertWebhook {
  /** `http://127.0.0.1:<port>`: a receiver's url is this plus a path. */
  readonly url: string;
  /** Every notification so far, oldest first. */
  readonly notifications: readonly WebhookNotification[];
  /** Bodies that were not a webhook notification (answered 400), for failure messages. */
  readonly malformed: readonly string[];
  close(): Promise<void>;
}

/** Bodies above this are refused (413): Alertmanager's are a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;

function isNotificationBody(v: unknown): v is Omit<WebhookNotification, 'path' | 'at'> {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['receiver'] === 'string' && (o['status'] === 'firing' || o['status'] === 'resolved') && Array.isArray(o['alerts']);
}

/**
 * The far end of Alertmanager's webhook_configs, run by a test: an HTTP server on 127.0.0.1
 * that keeps every JSON notification POSTed to it, with the path it came to (one receiver per
 * path), and answers 200 so Alertmanager does not retry.
 */
export async function startAlertWebhook(): Promise<AlertWebhook> {
  const notifications: WebhookNotification[] = [];
  const malformed: string[] = [];
  const { port, close } = await startBodyServer(MAX_BODY_BYTES, (req, res, body) => {
    const text = body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (req.method !== 'POST' || !isNotificationBody(parsed)) {
      malformed.push(`${req.method ?? '?'} ${req.url ?? ''} ${text.slice(0, 300)}`);
      res.writeHead(400).end();
      return;
    }
    notifications.push({
      path: req.url ?? '',
      at: Date.now(),
      receiver: parsed.receiver,
      status: parsed.status,
      groupLabels: parsed.groupLabels ?? {},
      alerts: parsed.alerts,
    });
    res.writeHead(200).end();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    malformed,
    close,
  };
}
