import type { ProxyEventOf, ProxyEventType, RejectReason } from '@stratum-relay/shared-types';
import type { EventRecorder } from './event-recorder';
import { waitUntil } from './wait';

/** The first recorded event of `type` matching `match` (waiting for it, bounded). */
export async function eventOf<T extends ProxyEventType>(
  recorder: EventRecorder,
  type: T,
  match: (event: ProxyEventOf<T>) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<ProxyEventOf<T>> {
  let found: ProxyEventOf<T> | undefined;
  await waitUntil(
    () => {
      found = recorder.ofType(type).find(match);
      return found !== undefined;
    },
    `a ${type} event`,
    timeoutMs,
  );
  return found as ProxyEventOf<T>;
}

/** Reasons of every `connection.rejected` so far, in order. */
export function rejections(recorder: EventRecorder): RejectReason[] {
  return recorder.ofType('connection.rejected').map((e) => e.reason);
}

/** Waits until `count` connections were rejected in total; returns their reasons. */
export async function rejectedCount(recorder: EventRecorder, count: number, timeoutMs = 5_000): Promise<RejectReason[]> {
  await waitUntil(() => recorder.ofType('connection.rejected').length >= count, `${count} connection.rejected event(s)`, timeoutMs);
  return rejections(recorder);
}
