import { z } from 'zod';
import { buildOpenApiDocument } from '../api/src/entry-points/http/openapi';
import { LedgerEventV1, TransferCommandV1 } from '../contracts/src';

/**
 * Every document generated from the zod contracts, by file name under contracts/generated/:
 * the OpenAPI description of the HTTP API and the JSON Schemas of the Kafka messages, for
 * producers and consumers in other languages.
 */
export function contractArtifacts(): Record<string, unknown> {
  return {
    'openapi.json': buildOpenApiDocument(),
    'transfer-command.v1.schema.json': {
      $id: 'https://ledger.invalid/schemas/transfer-command.v1.json',
      ...z.toJSONSchema(TransferCommandV1, { io: 'input', target: 'draft-2020-12' }),
    },
    'ledger-event.v1.schema.json': {
      $id: 'https://ledger.invalid/schemas/ledger-event.v1.json',
      ...z.toJSONSchema(LedgerEventV1, { io: 'output', target: 'draft-2020-12' }),
    },
  };
}

export const serialize = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
