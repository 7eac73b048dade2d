// Prints the spans of one trace as a waterfall: one line per span, children
// indented under their parent, a bar showing when the span ran within the
// trace, errors marked at the end of the line.

const KIND_WIDTH = 'INTERNAL'.length;

export function formatMs(ms) {
  return `${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

/** Depth-first, children in start order; a span whose parent is missing counts as a root. */
export function treeOrder(spans) {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map();
  const roots = [];
  const byStart = [...spans].sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  for (const span of byStart) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
      children.get(span.parentSpanId).push(span);
    } else {
      roots.push(span);
    }
  }
  const rows = [];
  const visit = (span, depth) => {
    rows.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

function bar(span, start, total, width) {
  const from = total > 0 ? Math.floor((Number(span.startNs - start) / total) * width) : 0;
  const to = total > 0 ? Math.ceil((Number(span.endNs - start) / total) * width) : width;
  const left = Math.min(Math.max(from, 0), width - 1);
  const filled = Math.max(1, Math.min(to, width) - left);
  return `|${' '.repeat(left)}${'█'.repeat(filled)}${' '.repeat(width - left - filled)}|`;
}

function errorMark(span) {
  if (span.status.code !== 'ERROR') return '';
  const exception = span.events.find((event) => event.name === 'exception');
  if (exception) {
    const { 'exception.type': type = 'Error', 'exception.message': message = '' } = exception.attributes;
    return `  ERROR exception ${type}: ${message}`;
  }
  const errorType = span.attributes['error.type'];
  return `  ERROR ${span.status.message || (errorType ? `error.type=${errorType}` : '')}`.trimEnd();
}

/**
 * The waterfall of one trace, as lines of text.
 * @param {import('./otlp-json.d.mts').DemoSpan[]} spans the spans of one trace
 * @param {{ width?: number }} [options] width of the bar in characters
 */
export function formatWaterfall(spans, { width = 40 } = {}) {
  if (spans.length === 0) return ['(no spans)'];
  // Times are BigInt nanoseconds, which Math.min/max do not take.
  let start = spans[0].startNs;
  let end = spans[0].endNs;
  for (const span of spans) {
    if (span.startNs < start) start = span.startNs;
    if (span.endNs > end) end = span.endNs;
  }
  const total = Number(end - start);
  const rows = treeOrder(spans).map(({ span, depth }) => ({
    span,
    label: `${'  '.repeat(depth)}${span.service} ${span.name}`,
  }));
  const labelWidth = Math.max('SERVICE SPAN'.length, ...rows.map((row) => row.label.length));
  const durationWidth = Math.max('DURATION'.length, ...rows.map((row) => formatMs(row.span.durationMs).length));
  const scaleEnd = formatMs(total / 1e6);
  const scale = `0 ms${' '.repeat(Math.max(1, width - 4 - scaleEnd.length))}${scaleEnd}`;
  const errors = spans.filter((span) => span.status.code === 'ERROR').length;
  const lines = [
    `trace ${spans[0].traceId}  ${spans.length} spans  ${formatMs(total / 1e6)}${errors ? `  ${errors} with ERROR` : ''}`,
    `  ${'SERVICE SPAN'.padEnd(labelWidth)}  ${'KIND'.padEnd(KIND_WIDTH)}  ${'DURATION'.padStart(durationWidth)} |${scale}|`,
  ];
  for (const { span, label } of rows) {
    lines.push(
      `  ${label.padEnd(labelWidth)}  ${span.kind.padEnd(KIND_WIDTH)}  ${formatMs(span.durationMs).padStart(durationWidth)} ${bar(span, start, total, width)}${errorMark(span)}`,
    );
  }
  return lines;
}
