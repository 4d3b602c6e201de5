import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { NtaError } from '../core/errors.js';
import type { ApiError } from './api-types.js';
import { bearerMatches } from './auth.js';
import type { MetricsSnapshot, TrafficTotals } from '../schema/metrics.js';
import { DbMetrics } from './db-metrics.js';
import { LiveFeed } from './live-feed.js';
import { METRICS_PATH, metricsRoutes } from './metrics.js';
import { alertRoutes, type EvidenceWriter } from './routes/alerts.js';
import { Gone, NotFound } from './routes/common.js';
import { flowRoutes } from './routes/flows.js';
import { hostRoutes } from './routes/hosts.js';
import { liveRoutes } from './routes/live.js';
import { summaryRoutes } from './routes/summary.js';
import { trafficRoutes } from './routes/traffic.js';
import { openQueryDb, type QueryDb } from '../store/query/query-db.js';

/** The dashboard as `npm run build` leaves it: dist/web, beside dist/src. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface AppOptions {
  /** A SQLite file or a postgres:// URL. */
  readonly dbPath: string;
  /** PostgreSQL: serve only this sensor's rows. */
  readonly sensor?: string | undefined;
  /** Required bearer token for /api/ (but the OpenAPI document); null: none (loopback only). */
  readonly token: string | null;
  readonly version: string;
  readonly webRoot?: string;
  readonly liveIntervalMs?: number;
  /**
   * Writes an alert's evidence frames to a pcapng file (the pipeline's writeAlertEvidence, handed in by
   * `nta serve`: the server itself never reads packets); without it the download answers 404.
   */
  readonly writeEvidence?: EvidenceWriter | undefined;
  /** The pipeline of `serve --capture`: the live feed and /metrics read it instead of the database. */
  readonly pipeline?: LivePipeline | undefined;
}

/** What the server reads from a pipeline running in the same process (see present/pipeline-meter.ts). */
export interface LivePipeline {
  totals(): TrafficTotals;
  metrics(): MetricsSnapshot;
}

/**
 * Everything the browser loads comes from this server: scripts and styles from files, never inline; the
 * data shown is attacker-controlled (names from packets), so the policy is the second line of defence
 * behind rendering it as text.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const OPENAPI_PATH = '/api/openapi.json';

export interface App {
  readonly app: FastifyInstance;
  readonly db: QueryDb;
}

export async function buildApp(options: AppOptions): Promise<App> {
  // Reads through one connection; SQLite opens a writable one on first use, for acknowledgements.
  const db = await openQueryDb(options.dbPath, { sensor: options.sensor });
  const app = Fastify({
    logger: false,
    // Unknown query parameters are refused (not dropped); numbers and booleans arrive as text.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false },
    },
  });
  const pipeline = options.pipeline;
  const feed = new LiveFeed(db, {
    intervalMs: options.liveIntervalMs,
    ...(pipeline === undefined ? {} : { totals: () => pipeline.totals() }),
  });
  app.addHook('onClose', async () => {
    feed.stop();
    await db.close();
  });

  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v);
    const path = req.url.split('?', 1)[0]!;
    // The metrics tell what traffic is seen, so they are as private as the API.
    if (!path.startsWith('/api/') && path !== METRICS_PATH) return;
    void reply.header('cache-control', 'no-store');
    if (options.token === null || path === OPENAPI_PATH) return;
    if (!bearerMatches(req.headers.authorization, options.token)) {
      void reply.header('www-authenticate', 'Bearer realm="nta"');
      return reply
        .code(401)
        .send(apiError(401, 'Unauthorized', 'a bearer token is required (see nta serve --token)'));
    }
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation !== undefined) {
      return reply.code(400).send(apiError(400, 'Bad Request', validationMessage(err)));
    }
    if (err instanceof NotFound) return reply.code(404).send(apiError(404, 'Not Found', err.message));
    if (err instanceof Gone) return reply.code(410).send(apiError(410, 'Gone', err.message));
    if (err instanceof NtaError && err.code === 'NTA_ERR_USAGE')
      return reply.code(400).send(apiError(400, 'Bad Request', err.message));
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
      return reply.code(err.statusCode).send(apiError(err.statusCode, 'Bad Request', err.message));
    process.stderr.write(`nta: serve: ${err.message}\n`);
    return reply
      .code(500)
      .send(apiError(500, 'Internal Server Error', 'the query failed; see the server log'));
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send(apiError(404, 'Not Found', `no such route: ${req.method} ${req.url.split('?', 1)[0]}`)),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'nta HTTP API',
        version: options.version,
        description:
          'Read-only JSON over the nta database, SQLite or PostgreSQL (alert acknowledgement aside). Times are ms since 1970.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: options.token === null ? [] : [{ bearer: [] }],
    },
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());

  summaryRoutes(app, db);
  trafficRoutes(app, db);
  flowRoutes(app, db);
  hostRoutes(app, db);
  alertRoutes(app, db, options.writeEvidence);
  liveRoutes(app, feed, SECURITY_HEADERS);
  const dbMetrics = pipeline === undefined ? new DbMetrics(db) : undefined;
  metricsRoutes(app, {
    snapshot: () => (pipeline === undefined ? dbMetrics!.snapshot() : pipeline.metrics()),
    version: options.version,
  });

  const webRoot = options.webRoot ?? DEFAULT_WEB_ROOT;
  if (existsSync(`${webRoot}/index.html`)) {
    await app.register(fastifyStatic, { root: webRoot, index: 'index.html', wildcard: false });
  } else {
    app.get('/', (_req, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send('nta: the dashboard is not built (npm run build); the API is at /api/\n'),
    );
  }
  return { app, db };
}

function apiError(statusCode: number, error: string, message: string): ApiError {
  return { statusCode, error, message };
}

/** Ajv's first complaint in words a user can act on: which parameter, what was wrong. */
function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (v === undefined) return err.message;
  const where =
    err.validationContext === 'querystring' ? 'query parameter' : `${err.validationContext ?? ''} parameter`;
  const name = v.instancePath.replace(/^\//, '');
  const params = v.params as Record<string, unknown>;
  if (v.keyword === 'additionalProperties')
    return `unknown ${where} '${String(params['additionalProperty'])}'`;
  if (v.keyword === 'enum')
    return `${where} ${name} must be one of ${(params['allowedValues'] as unknown[]).join(', ')}`;
  return `${where} ${name} ${v.message ?? 'is invalid'}`;
}
