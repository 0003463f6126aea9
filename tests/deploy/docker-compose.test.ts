import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** `docker-compose config` validates the file without a Docker engine (Debian's docker-compose). */
function composeConfig(): string {
  return execFileSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
    env: { ...process.env, ADMIN_TOKEN: 'x'.repeat(32) },
  });
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file declaring the infrastructure and the three services with health checks', () => {
    const config = composeConfig();
    for (const service of [
      'kafka',
      'postgres',
      'redis',
      'jaeger',
      'api',
      'processor',
      'webhook-dispatcher',
      'prometheus',
      'grafana',
    ]) {
      const block = new RegExp(`\\n  ${service}:\\n(?:    .*\\n|      .*\\n)*?    healthcheck:`);
      expect(config).toMatch(block);
    }
    expect(config).toContain('image: apache/kafka:4.1.1');
    // The services' health checks ask for readiness, not only for a live process.
    for (const port of [3000, 9101, 9102]) expect(config).toContain(`http://127.0.0.1:${port}/readyz`);
  });

  it('restarts the three services when they die (restart: unless-stopped), as npm run up does', () => {
    const config = composeConfig();
    for (const service of ['api', 'processor', 'webhook-dispatcher']) {
      // The service's own block: its lines indented under it, up to the next service.
      const block = new RegExp(`\\n  ${service}:\\n((?:   .*\\n)*)`).exec(config)?.[1];
      expect(block).toMatch(/^ {4}restart: unless-stopped$/m);
    }
  });
});
