// Runs the message service. Configured by environment: PORT (default 8002,
// 0 = any free port), HOST (default 127.0.0.1) and the OTEL_* variables that
// @tracewire/node reads (OTEL_SERVICE_NAME defaults to message-service here).
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { setupTracing } from '@tracewire/node';
import { createApp } from './app.js';
import { serve } from './serve.js';

diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
const tracing = setupTracing({ serviceName: process.env.OTEL_SERVICE_NAME || 'message-service' });

serve('message-service', createApp().callback(), tracing, { port: 8002 });
