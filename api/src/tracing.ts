import cluster from 'node:cluster';
import { startTracing, TRACING_OFF } from '../../platform/tracing';

// A primary that forks workers only supervises them: it serves nothing, so it does not carry
// an SDK (~25 MB). API_WORKERS is read raw because this runs before the config is parsed (an
// invalid value stops start-up in main.ts anyway).
const supervisingOnly = cluster.isPrimary && Number(process.env.API_WORKERS ?? '1') > 1;

/**
 * Tracing for this process, started on import. main.ts imports this module first, so the SDK
 * (when OTEL_* asks for it) patches http, express, pg, ioredis, kafkajs and pino before anything
 * loads them. Under node:cluster every worker runs main.ts again and so starts its own SDK.
 */
export const tracing = supervisingOnly ? TRACING_OFF : startTracing({ serviceName: 'ledger-api' });
