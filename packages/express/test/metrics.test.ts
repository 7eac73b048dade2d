import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUILDS, load } from '../../../test/support/builds';
import { BoomError, describeServerMetrics } from '../../../test/support/server-metrics';
import { closeAll, EXPRESSES, type ExpressModule, listen, type TracewireExpress } from './helpers';

describe.each(BUILDS)('@tracewire/express metrics (%s build)', (build) => {
  let tw: TracewireExpress;
  beforeAll(async () => {
    tw = await load<TracewireExpress>('@tracewire/express', build);
  });

  describe.each(EXPRESSES)('%s', (_name, express: ExpressModule) => {
    describeServerMetrics({
      async serve(options, hold) {
        const app = express();
        app.use(tw.tracing(options as Parameters<TracewireExpress['tracing']>[0]));
        app.get('/users/:id', (_req, res) => {
          res.send('ok');
        });
        app.get('/fail', () => {
          throw new BoomError('boom');
        });
        app.get('/slow', async (_req: IncomingMessage, res: ServerResponse) => {
          await hold();
          res.end('late');
        });
        app.use(tw.tracingErrors());
        return (await listen(app)).port;
      },
      closeAll,
    });
  });
});
