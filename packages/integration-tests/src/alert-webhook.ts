import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (req.method !== 'POST' || !isNotificationBody(body)) {
        malformed.push(`${req.method ?? '?'} ${req.url ?? ''} ${text.slice(0, 300)}`);
        res.writeHead(400).end();
        return;
      }
      notifications.push({
        path: req.url ?? '',
        at: Date.now(),
        receiver: body.receiver,
        status: body.status,
        groupLabels: body.groupLabels ?? {},
        alerts: body.alerts,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    malformed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
