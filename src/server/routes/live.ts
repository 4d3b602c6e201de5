import type { FastifyInstance } from 'fastify';
import type { LiveFeed } from '../live-feed.js';

/** Comment lines keep proxies and the browser from timing out a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Server-Sent Events: one `tick` event (a LiveTick as JSON) per interval. The dashboard reads the stream
 * with fetch, not EventSource, so it can send the bearer token as a header rather than in the URL.
 */
export function liveRoutes(app: FastifyInstance, feed: LiveFeed, headers: Record<string, string>): void {
  // Streams never end by themselves: closing the server ends them, or it would wait for every browser tab.
  const open = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of open) end();
    done();
  });
  app.get(
    '/api/live',
    { schema: { summary: 'Server-Sent Events: a `tick` per second with the packets stored per protocol' } },
    (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(': nta live\n\n');
      const unsubscribe = feed.subscribe((tick) =>
        res.write(`event: tick\ndata: ${JSON.stringify(tick)}\n\n`),
      );
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      const end = (): void => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(end);
        res.end();
      };
      open.add(end);
      req.raw.on('close', end);
    },
  );
}
