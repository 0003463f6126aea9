import { loadProcessorConfig } from './config';

describe('the hold expiry sweeper configuration', () => {
  it('claims 500 due holds a round and waits 10 s for Kafka to take them unless told', () => {
    const config = loadProcessorConfig({});
    expect([config.HOLD_EXPIRY_BATCH_SIZE_MAX, config.HOLD_EXPIRY_SEND_TIMEOUT_MS]).toEqual([500, 10_000]);
    expect(loadProcessorConfig({ HOLD_EXPIRY_BATCH_SIZE_MAX: '50' }).HOLD_EXPIRY_BATCH_SIZE_MAX).toBe(50);
  });

  it('refuses an empty round or an unbounded wait, naming the variable', () => {
    expect(() => loadProcessorConfig({ HOLD_EXPIRY_BATCH_SIZE_MAX: '0' })).toThrow(
      /HOLD_EXPIRY_BATCH_SIZE_MAX/,
    );
    expect(() => loadProcessorConfig({ HOLD_EXPIRY_SEND_TIMEOUT_MS: '3600000' })).toThrow(
      /HOLD_EXPIRY_SEND_TIMEOUT_MS/,
    );
  });
});
