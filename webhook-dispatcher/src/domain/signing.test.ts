import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { secretKey, sign, signedHeaders } from './signing';

// The example of the Standard Webhooks / Svix reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signatures', () => {
  it('match the reference vector', () => {
    expect(sign(secretKey(VECTOR.secret), VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(
      VECTOR.signature,
    );
  });

  it('match what the standardwebhooks library computes', () => {
    const secret = newSecret();
    const body = JSON.stringify({
      id: 'e',
      type: 'account.credited',
      data: { amount: '1', note: 'ünïcødé' },
    });
    const expected = new Webhook(secret).sign('evt_1', new Date(1_700_000_000_000), body);
    expect(sign(secretKey(secret), 'evt_1', 1_700_000_000, body)).toBe(expected);
  });

  it('are accepted by the library Webhook.verify', () => {
    const secret = newSecret();
    const body = '{"id":"1","type":"transfer.committed"}';
    const headers = signedHeaders([secretKey(secret)], 'evt_2', nowSeconds(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ id: '1', type: 'transfer.committed' });
  });

  it('verify with either secret while two sign during a rotation', () => {
    const [current, previous] = [newSecret(), newSecret()];
    const body = '{"a":1}';
    const headers = signedHeaders([secretKey(current), secretKey(previous)], 'evt_3', nowSeconds(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, { ...headers })).toEqual({ a: 1 });
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual({ a: 1 });
    expect(() => new Webhook(newSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('are rejected for a tampered body or an old timestamp', () => {
    const secret = newSecret();
    const fresh = signedHeaders([secretKey(secret)], 'evt_4', nowSeconds(), '{"amount":"100"}');
    expect(() => new Webhook(secret).verify('{"amount":"900"}', { ...fresh })).toThrow(
      WebhookVerificationError,
    );
    const old = signedHeaders([secretKey(secret)], 'evt_4', nowSeconds() - 10 * 60, '{"amount":"100"}');
    expect(() => new Webhook(secret).verify('{"amount":"100"}', { ...old })).toThrow(/too old/);
  });

  it('refuse secrets that are not whsec_ with 24 to 64 bytes', () => {
    expect(() => secretKey('sk_abc')).toThrow();
    expect(() => secretKey(`whsec_${randomBytes(16).toString('base64')}`)).toThrow();
    expect(secretKey(`whsec_${randomBytes(24).toString('base64')}`)).toHaveLength(24);
  });
});
