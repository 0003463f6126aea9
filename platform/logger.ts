import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs by default; pretty when a person is watching (`npm run up`). */
export function createLogger(options: { service: string; level: string; pretty: boolean }): Logger {
  return pino({
    name: options.service,
    level: options.level,
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'secret', '*.secret', 'api_key'], censor: '[redacted]' },
    ...(options.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } }
      : {}),
  });
}
