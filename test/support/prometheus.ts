/**
 * A strict reader of the Prometheus text exposition format 0.0.4 (promtool is not available here): every
 * line must be a HELP, TYPE or other comment, a sample, or empty; names, label sets, escapes and values
 * follow the format's grammar; a family's TYPE comes once and before its samples, its samples are
 * contiguous, counters' samples end in _total, and no series appears twice. Any violation throws, naming
 * the line.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type: string;
  help: string | null;
  readonly samples: Sample[];
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
/** Inside quotes: anything but a quote, backslash or newline, or one of the three escapes. */
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)';
const LABEL_PAIR = `${LABEL_NAME}=${LABEL_VALUE}`;
const SAMPLE_LINE = new RegExp(
  `^(${METRIC_NAME})(?:\\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*,?)?\\})? (${VALUE})(?: (-?[0-9]+))?$`,
);
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);
const PAIR = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

const unescape = (quoted: string): string =>
  quoted.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));

/** The family a sample name belongs to, given the family's type. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(sample);
  if (exact !== undefined && exact.type !== 'histogram') return exact;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sample);
  if (m !== null) {
    const f = families.get(m[1]!);
    if (f?.type === 'histogram' || (f?.type === 'summary' && m[2] !== 'bucket')) return f;
  }
  return exact;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const help = HELP_LINE.exec(line);
      const type = TYPE_LINE.exec(line);
      if (help === null && type === null) {
        if (/^# (HELP|TYPE) /.test(line)) throw new Error(`malformed ${where}`);
        return; // another comment
      }
      const name = (help ?? type)![1]!;
      let f = families.get(name);
      if (f === undefined) {
        if (closed.has(name)) throw new Error(`family ${name} reopened at ${where}`);
        f = { name, type: 'untyped', help: null, samples: [] };
        families.set(name, f);
      }
      if (f.samples.length > 0) throw new Error(`HELP/TYPE after samples at ${where}`);
      if (help !== null) {
        if (f.help !== null) throw new Error(`second HELP at ${where}`);
        f.help = help[2]!;
      } else {
        if (f.type !== 'untyped') throw new Error(`second TYPE at ${where}`);
        f.type = type![2]!;
      }
      if (current !== undefined && current !== f) closed.add(current.name);
      current = f;
      return;
    }
    const m = SAMPLE_LINE.exec(line);
    if (m === null) throw new Error(`not a sample: ${where}`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(PAIR)) {
      if (k! in labels) throw new Error(`label ${k} twice at ${where}`);
      labels[k!] = unescape(v!);
    }
    let f = familyOf(name, families);
    if (f === undefined) {
      f = { name, type: 'untyped', help: null, samples: [] };
      families.set(name, f);
    }
    if (current !== f) {
      if (closed.has(f.name) || f.samples.length > 0)
        throw new Error(`samples of ${f.name} not together: ${where}`);
      if (current !== undefined) closed.add(current.name);
      current = f;
    }
    if (f.type === 'counter' && name !== f.name) throw new Error(`counter sample ${name} outside ${f.name}`);
    if (f.type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} lacks _total`);
    if (f.type === 'histogram' && name === `${f.name}_bucket` && labels['le'] === undefined)
      throw new Error(`bucket without le at ${where}`);
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (series.has(key)) throw new Error(`series ${key} twice`);
    series.add(key);
    const raw = m[3]!;
    const value =
      raw === 'NaN' ? NaN : raw.endsWith('Inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw);
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of one series, or undefined when it is not there. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels);
  for (const f of families.values())
    for (const s of f.samples)
      if (
        s.name === name &&
        Object.keys(s.labels).length === want.length &&
        want.every(([k, v]) => s.labels[k] === v)
      )
        return s.value;
  return undefined;
}

/** Every series of a metric as label set → value, keyed by the values of `by` joined with '/'. */
export function seriesBy(families: Map<string, Family>, name: string, by: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of families.get(name)?.samples ?? []) out[by.map((k) => s.labels[k]).join('/')] = s.value;
  return out;
}
