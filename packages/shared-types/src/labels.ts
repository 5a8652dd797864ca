/** The only per-connection labels a metric may carry (worker name is capped before use). */
export interface ConnectionLabels {
  /** Worker name from mining.authorize, after the cardinality cap (`other` past it, `unknown` before authorize). */
  readonly client_id: string;
  readonly pool_host: string;
}
