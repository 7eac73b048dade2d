// The message service over gRPC: tracewire.example.MessageService/ListMessages,
// the twin of GET /messages/:userId, traced by the @tracewire/grpc server
// interceptor. The broken mailbox of user 0 answers UNAVAILABLE here.
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { serverInterceptor } from '@tracewire/grpc';
import { listMessages, MAX_COUNT, MailboxUnavailableError } from './app.js';

const PROTO = fileURLToPath(new URL('../../proto/message_service.proto', import.meta.url));

export function loadMessageService() {
  const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, defaults: true });
  return grpc.loadPackageDefinition(definition).tracewire.example.MessageService;
}

const listMessagesOf = (mailbox) =>
  async function ListMessages(call, callback) {
    const { userId, count } = call.request;
    if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `count must be an integer from 0 to ${MAX_COUNT}` });
      return;
    }
    try {
      callback(null, { messages: await listMessages(mailbox, userId, count) });
    } catch (error) {
      console.error(`ListMessages ${userId}: ${error.name}: ${error.message}`);
      const code = error instanceof MailboxUnavailableError ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL;
      callback({ code, details: error.message });
    }
  };

/** Serves MessageService on host:port (0: any free port) from the mailbox; resolves with the server and the port it got. */
export function startGrpcServer(host, port, mailbox) {
  const server = new grpc.Server({ interceptors: [serverInterceptor()] });
  server.addService(loadMessageService().service, { ListMessages: listMessagesOf(mailbox) });
  return new Promise((resolve, reject) => {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve({ server, port: bound }),
    );
  });
}
