import { Router } from 'express';
import {
  FxRatePairParams,
  SetFxRateRequest,
  type FxRate,
  type FxRateList,
} from '../../../../../contracts/src';
import { InvalidRateError, formatRate, parseRate, type Rate } from '../../../../../domain/money';
import type { Pool } from '../../../../../platform/postgres';
import { listRates, upsertRate } from '../../../data-access/fx-rates';
import { ApiError } from '../api-error';
import { requireAdmin as adminOnly } from '../require-admin';
import { validate } from '../validate';

/** Operator-only routes: exchange rates are never set by tenants. */
export function fxRateRoutes(deps: { pool: Pool; adminToken: string | undefined }): Router {
  const router = Router();
  const requireAdmin = adminOnly(deps.adminToken);

  router.put('/admin/fx-rates/:base/:quote', requireAdmin, async (req, res) => {
    const { base, quote } = validate(FxRatePairParams, req.params, 'path');
    const rate = rateFrom(validate(SetFxRateRequest, req.body).rate);
    const updatedAt = await upsertRate(deps.pool, base, quote, rate);
    const body: FxRate = { base, quote, rate: formatRate(rate), updated_at: updatedAt.toISOString() };
    res.json(body);
  });

  router.get('/admin/fx-rates', requireAdmin, async (_req, res) => {
    const rates = await listRates(deps.pool);
    const body: FxRateList = {
      data: rates.map((r) => ({
        base: r.base,
        quote: r.quote,
        rate: formatRate(r.rate),
        updated_at: r.updatedAt.toISOString(),
      })),
      next_cursor: null,
    };
    res.json(body);
  });
  return router;
}

function rateFrom(decimal: string): Rate {
  try {
    return parseRate(decimal);
  } catch (error) {
    if (!(error instanceof InvalidRateError)) throw error;
    throw new ApiError('validation_failed', 'the request body is invalid', [
      { field: 'rate', reason: error.reason, code: 'invalid_rate' },
    ]);
  }
}
