import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import pino from 'pino';
import { pinoLogCreator } from './kafka';

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  const log = pinoLogCreator(pino({ level: 'debug' }, stream))(logLevel.DEBUG);
  const entry = (level: logLevel, message: string) =>
    log({
      namespace: 'Connection',
      level,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message },
    });
  return { lines, entry };
}

const PINO_DEBUG = 20;
const PINO_WARN = 40;
const PINO_ERROR = 50;

describe('kafkajs log lines through pino', () => {
  it('logs an error response from the broker, which kafkajs also hands to its caller, at debug', async () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'Response JoinGroup(key: 11, version: 5)');
    await new Promise(setImmediate);
    expect(lines).toEqual([
      expect.objectContaining({ level: PINO_DEBUG, msg: 'Response JoinGroup(key: 11, version: 5)' }),
    ]);
  });

  it('keeps every other line at the level kafkajs chose', async () => {
    const { lines, entry } = capture();
    entry(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded');
    entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees');
    await new Promise(setImmediate);
    expect(lines.map((l) => l.level)).toEqual([PINO_ERROR, PINO_WARN]);
  });
});
