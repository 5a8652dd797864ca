/**
 * Just enough PromQL lexing to list the series names an expression reads. Not a parser: the
 * syntax itself is checked by promtool (see ops-promtool.ts); this only has to find names.
 */

/** PromQL functions and aggregation operators (Prometheus 2.x). An identifier followed by `(` is a call anyway; this set also covers `sum by (x) (...)`. */
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil', 'changes',
  'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'days_in_month', 'day_of_month', 'day_of_week',
  'day_of_year', 'deg', 'delta', 'deriv', 'exp', 'floor', 'histogram_count', 'histogram_sum', 'histogram_fraction',
  'histogram_quantile', 'histogram_stddev', 'histogram_stdvar', 'holt_winters', 'hour', 'idelta', 'increase', 'irate',
  'label_replace', 'label_join', 'last_over_time', 'ln', 'log10', 'log2', 'max_over_time', 'min_over_time', 'minute',
  'month', 'pi', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rad', 'rate', 'resets', 'round', 'scalar',
  'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh',
  'time', 'timestamp', 'vector', 'year',
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
]);

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

/** Keywords whose parenthesised list holds label names, not series. */
const LABEL_LIST_KEYWORDS = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

/**
 * Names of the series an expression selects (metric names and recording rule names), in order
 * of first appearance, without duplicates. Grafana variables such as `$__rate_interval` may
 * appear where PromQL allows a duration or inside label matcher strings.
 */
export function seriesNamesIn(expr: string): string[] {
  let s = expr
    // Comments run to the end of the line.
    .replace(/#[^\n]*/g, ' ')
    // String literals (label values, label_replace args) are never names.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    // Label matchers and range/subquery brackets hold label names and durations only.
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(LABEL_LIST_KEYWORDS, ' ');
  // Numbers and durations (`offset 15m`, `1e3`, `0x1f`) before identifiers, so `15m` is not read as `m`.
  s = s.replace(/(?<![A-Za-z0-9_:])(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*|\.\d+)/g, ' ');
  // Grafana variables that survived outside strings and brackets.
  s = s.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, ' ');

  const names: string[] = [];
  const seen = new Set<string>();
  const ident = /[A-Za-z_:][A-Za-z0-9_:]*/g;
  for (let m = ident.exec(s); m !== null; m = ident.exec(s)) {
    const word = m[0];
    const rest = s.slice(ident.lastIndex);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (FUNCTIONS.has(word) || KEYWORDS.has(word.toLowerCase())) continue;
    if (!seen.has(word)) {
      seen.add(word);
      names.push(word);
    }
  }
  return names;
}

/** Grafana placeholders replaced by values PromQL accepts, so promtool can check the syntax. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '5m')
    .replace(/\$__interval_ms|\$\{__interval_ms\}/g, '60000')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range_s|\$\{__range_s\}/g, '3600')
    .replace(/\$__range_ms|\$\{__range_ms\}/g, '3600000')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, 'var_$1$2');
}

/**
 * The PromQL inside a Grafana Prometheus variable query: `label_values(selector, label)` gives
 * the selector, `query_result(expr)` the expression, `label_values(label)` / `metrics(re)` none.
 */
export function promqlOfVariableQuery(query: string): string | null {
  const q = query.trim();
  const labelValues = /^label_values\(\s*(.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/s.exec(q);
  if (labelValues) return labelValues[1] ?? null;
  const queryResult = /^query_result\((.*)\)$/s.exec(q);
  if (queryResult) return queryResult[1] ?? null;
  if (/^(label_values|label_names|metrics)\(/.test(q)) return null;
  return q;
}
