import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ApiError } from './api-error';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Operator-only routes: the admin token as a bearer, compared in constant time; refused when none is configured. */
export const requireAdmin =
  (adminToken: string | undefined): RequestHandler =>
  (req, _res, next) => {
    const given = /^Bearer (\S+)$/i.exec(req.get('Authorization') ?? '')?.[1];
    if (!adminToken || !given || !timingSafeEqual(digest(given), digest(adminToken)))
      throw new ApiError('admin_token_invalid', 'this route needs the operator admin token');
    next();
  };
