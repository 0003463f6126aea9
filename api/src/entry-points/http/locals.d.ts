// Values the middleware put on res.locals for the handlers after it.
declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      /** Set by authenticate(): the tenant the API key belongs to. */
      tenantId: string;
      apiKeyId: string;
    }
  }
}

export {};
