import { withTimeout } from '../retry';
/** The state of one dependency as a readiness check sees it. */
export interface CheckOutcome {
  ok: boolean;
  /** Short, for an operator: "3 of 8 partitions", "missing 0007_x.sql", an error message. */
  detail?: string;
}

/** One named check of /readyz. */
export interface ReadinessCheck {
  name: string;
  /**
   * false: reported but never makes the instance unready (Redis for the API: the rate limiter
   * lets requests through without it).
   */
  critical: boolean;
  /** Resolves with the outcome; a throw or a timeout counts as down. */
  run(): Promise<CheckOutcome>;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: Record<string, { status: 'up' | 'down'; critical: boolean; detail?: string; duration_ms: number }>;
}

/** Longest one check may take before it counts as down: probes must answer quickly. */
export const CHECK_TIMEOUT_MS = 1_000;

/** Runs every check at once, each bounded by timeout_ms. */
export async function runChecks(
  checks: readonly ReadinessCheck[],
  timeout_ms = CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (check) => {
      const started = performance.now();
      const outcome = await withTimeout(check.run(), timeout_ms, check.name).catch(
        (error: unknown): CheckOutcome => ({
          ok: false,
          detail: (error as Error).message ?? String(error),
        }),
      );
      return { check, outcome, duration_ms: Math.round(performance.now() - started) };
    }),
  );
  const report: ReadinessReport = { status: 'ready', checks: {} };
  for (const { check, outcome, duration_ms } of results) {
    report.checks[check.name] = {
      status: outcome.ok ? 'up' : 'down',
      critical: check.critical,
      ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
      duration_ms,
    };
    if (!outcome.ok && check.critical) report.status = 'not_ready';
  }
  return report;
}
