import type { DemoSpan } from './otlp-json.mjs';

export function formatMs(ms: number): string;
export function treeOrder(spans: DemoSpan[]): { span: DemoSpan; depth: number }[];
/** The waterfall of one trace, as lines of text; `width` is the bar's width in characters (default 40). */
export function formatWaterfall(spans: DemoSpan[], options?: { width?: number }): string[];
