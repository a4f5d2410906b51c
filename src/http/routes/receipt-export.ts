import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Actor } from '../../services/actor.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ReceiptExportService } from '../../services/receipt-export.js';
import type { ExportRecord } from '../../storage/receipt-export.js';
import { actorOf } from '../auth.js';
import { GroupParams, Text } from '../schemas.js';
import { csvHeader, csvRows, type CsvOptions } from '../views/receipt-csv.js';

const ExportQuery = Type.Object({
  date_start: Type.Optional(Text({ maxLength: 10, description: 'yyyymmdd or yyyy-mm-dd' })),
  date_end: Type.Optional(Text({ maxLength: 10, description: 'yyyymmdd or yyyy-mm-dd, inclusive' })),
  state: Type.Optional(Text({ maxLength: 16 })),
  delimiter: Type.Optional(Type.Union([Type.Literal(';'), Type.Literal(',')], { description: 'default ;' })),
  lang: Type.Optional(Type.Union([Type.Literal('ru'), Type.Literal('en')], { description: 'column headings, default ru' })),
});

/** The CSV text of the batches, one chunk per batch: memory holds one batch at a time. */
async function* csv(batches: AsyncGenerator<ExportRecord[]>, o: CsvOptions): AsyncGenerator<string> {
  yield csvHeader(o);
  for await (const rows of batches) yield csvRows(rows, o);
}

/**
 * `GET /service_groups/{id}/receipts.csv` for accountants (docs/api.md "Export"), on the REST API
 * and, with the session's actor, under the dashboard's API: streamed, so a
 * year of receipts costs the same memory as a hundred. The filters are checked before the first
 * byte, so a bad one is a 400 in the API's error format.
 */
export function receiptExportRoutes(deps: { exports: ReceiptExportService; actor?: (request: FastifyRequest) => Actor }): FastifyPluginAsync {
  const actor = deps.actor ?? actorOf;
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.get('/service_groups/:service_group_id/receipts.csv', {
      schema: {
        summary: 'The group’s receipts as CSV (streamed; dates and state as the list)',
        tags: ['receipts'], params: GroupParams, querystring: ExportQuery,
      },
    }, async (request, reply) => {
      const groupId = Number(request.params.service_group_id);
      const { delimiter = ';', lang = 'ru', ...filter } = request.query;
      const batches = await deps.exports.batches(actor(request), groupId, filter);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="receipts-${groupId}.csv"`);
      return reply.send(Readable.from(csv(batches, { delimiter, lang })));
    });
  };
}
