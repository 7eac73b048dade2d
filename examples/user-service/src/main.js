// Runs the user service. Configured by environment: PORT (default 8001, 0 =
// any free port), HOST (default 127.0.0.1), MESSAGE_SERVICE_URL (default
// http://127.0.0.1:8002), MESSAGE_SERVICE_GRPC (the message service's gRPC
// address, default 127.0.0.1:9002) and the OTEL_* variables that
// @tracewire/node reads (OTEL_SERVICE_NAME defaults to user-service here).
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { setupTracing } from '@tracewire/node';
import { createApp } from './app.js';
import { serve } from './serve.js';

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
const tracing = setupTracing({ serviceName: process.env.OTEL_SERVICE_NAME || 'user-service' });

const messageServiceUrl = process.env.MESSAGE_SERVICE_URL || 'http://127.0.0.1:8002';
const messageServiceGrpc = process.env.MESSAGE_SERVICE_GRPC || '127.0.0.1:9002';
serve('user-service', createApp({ messageServiceUrl, messageServiceGrpc }), tracing, { port: 8001 });
