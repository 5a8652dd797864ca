import type { ProxyServerOptions } from '../../src/proxy-server';
import { OPEN_ADMISSION, type AdmissionSettings } from '../../src/admission/admission-gate';
import type { Cleanup } from './cleanup';
import { startProxy, type StartedProxy } from './proxy';

/** Admission settings: everything off except `overrides`. */
export function admission(overrides: Partial<AdmissionSettings> = {}): AdmissionSettings {
  return { ...OPEN_ADMISSION, ...overrides };
}

export interface EdgeProxy extends StartedProxy {
  /** Port of the TLS listener (throws when there is none). */
  readonly tlsPort: number;
}

/**
 * startProxy plus the TLS listener when `overrides.tls` is given (`port: 0` there too). Cleanup is
 * registered by startProxy.
 */
export async function startEdgeProxy(cleanup: Cleanup, poolPort: number, overrides: Partial<ProxyServerOptions> = {}): Promise<EdgeProxy> {
  const started = await startProxy(cleanup, poolPort, overrides);
  return {
    ...started,
    get tlsPort(): number {
      const address = started.proxy.tlsAddress();
      if (address === null) throw new Error('the proxy has no TLS listener');
      return address.port;
    },
  };
}
