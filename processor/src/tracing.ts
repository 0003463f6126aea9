import { startTracing } from '../../platform/tracing';

/**
 * Tracing for this process, started on import. main.ts imports this module first, so the SDK
 * (when OTEL_* asks for it) patches kafkajs, pg and pino before anything loads them.
 */
export const tracing = startTracing({ serviceName: 'ledger-processor' });
