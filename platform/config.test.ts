import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({
  BATCH_SIZE_MAX: env.int('commands per batch', 500, 1, 10_000),
  VERBOSE: env.bool('more logs', true),
  NAME: env.string('a name', 'ledger'),
});

describe('configuration from the environment', () => {
  it('takes the default for a variable set to the empty string, not 0 or false', () => {
    expect(loadConfig(schema, { BATCH_SIZE_MAX: '', VERBOSE: '', NAME: '' })).toEqual({
      BATCH_SIZE_MAX: 500,
      VERBOSE: true,
      NAME: 'ledger',
    });
  });

  it('stops on a bad value, naming the variable and what it expects', () => {
    expect(() => loadConfig(schema, { BATCH_SIZE_MAX: '0' })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { BATCH_SIZE_MAX: '0' })).toThrow(/BATCH_SIZE_MAX: .*commands per batch/);
  });
});
