// Runs the message service. Configured by environment: PORT (default 8002,
// 0 = any free port), GRPC_PORT (default 9002, 0 = any free port), HOST
// (default 127.0.0.1), MONGODB_URL (where the messages live; unset: in memory)
// and the OTEL_* variables that @tracewire/node reads (OTEL_SERVICE_NAME
// defaults to message-service here).
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { setupTracing } from '@tracewire/node';
import { createApp } from './app.js';
import { startGrpcServer } from './grpc.js';
import { openMailbox } from './mailbox.js';
import { serve } from './serve.js';

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
const tracing = setupTracing({ serviceName: process.env.OTEL_SERVICE_NAME || 'message-service' });

const host = process.env.HOST || '127.0.0.1';
const mailbox = await openMailbox();
const grpc = await startGrpcServer(host, Number(process.env.GRPC_PORT ?? 9002), mailbox);
serve('message-service', createApp(mailbox).callback(), tracing, {
  port: 8002,
  announce: `and gRPC ${host.includes(':') ? `[${host}]` : host}:${grpc.port} (messages in ${mailbox.kind})`,
  // Lets the open calls finish, but not for ever; then closes the mailbox.
  close: () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        grpc.server.forceShutdown();
        resolve();
      }, 5000);
      grpc.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }).then(() => mailbox.close()),
});
