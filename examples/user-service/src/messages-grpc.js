// The gRPC client of the message service (tracewire.example.MessageService),
// traced by the @tracewire/grpc client interceptor: each call is a CLIENT
// span whose trace context travels in the call's metadata.
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { clientInterceptor } from '@tracewire/grpc';

const PROTO = fileURLToPath(new URL('../../proto/message_service.proto', import.meta.url));

/** A MessageService client for `address` (host:port); it connects on the first call. */
export function messageServiceClient(address) {
  const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, defaults: true });
  const { MessageService } = grpc.loadPackageDefinition(definition).tracewire.example;
  return new MessageService(address, grpc.credentials.createInsecure(), { interceptors: [clientInterceptor()] });
}

/** ListMessages as a promise; rejects with the grpc-js error (`code`, `details`). */
export function listMessages(client, request, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    client.ListMessages(request, { deadline: Date.now() + timeoutMs }, (error, reply) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

export const { status } = grpc;
