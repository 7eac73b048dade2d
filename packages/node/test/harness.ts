// What every @tracewire/node suite does around each test: the package loaded
// through one build, no OTEL_* variable of the host, and after the test the
// tracing shut down, the capture server closed, the globals and the
// environment restored.
import { context, diag, propagation, trace } from '@opentelemetry/api';
import { type Build, load } from '../../../test/support/builds';
import type { Capture } from './capture';

type Node = typeof import('@tracewire/node');
type Tracing = ReturnType<Node['setupTracing']>;

export interface NodeSuite {
  node: Node;
  tracing: Tracing | undefined;
  capture: Capture | undefined;
  /** setupTracing, remembered so that it is shut down after the test. */
  setup(options?: Parameters<Node['setupTracing']>[0]): Tracing;
}

export function nodeSuite(build: Build): NodeSuite {
  const savedEnv = { ...process.env };
  const suite: NodeSuite = {
    node: undefined as unknown as Node,
    tracing: undefined,
    capture: undefined,
    setup: (options) => {
      suite.tracing = suite.node.setupTracing(options);
      return suite.tracing;
    },
  };

  beforeAll(async () => {
    suite.node = await load<Node>('@tracewire/node', build);
  });

  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];
  });

  afterEach(async () => {
    await suite.tracing?.shutdown();
    suite.tracing = undefined;
    await suite.capture?.close();
    suite.capture = undefined;
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  return suite;
}
