// Ticketing edge adapter: tap-in/tap-out (one passage, optional card) and gate entry/exit counts
// over an interval at a station become TicketingEvents on pm.raw.ticketing.v1, card ids replaced
// by their keyed hash, keyed by that hash (one card's taps stay in one partition, in order, for its
// journeys), else by station.

import { TicketingInput } from '../../schemas/inputs.js';
import { checkTicketingEvent, type TicketingEvent } from '../../schemas/records.js';
import { instants, recordId, sensorLocation, type SourceAdapter } from '../adapter.js';

export const ticketingAdapter: SourceAdapter<TicketingInput, TicketingEvent> = {
  source: 'ticketing',
  schema: TicketingInput,
  key: (r) => r.cardHash ?? r.stationId,
  async convert(v, ctx) {
    const t = instants(v, v.end === undefined ? (['start'] as const) : (['start', 'end'] as const));
    if ('errors' in t) return t;
    const loc = await sensorLocation('ticketing', 'stationId', v.stationId, v.lat, v.lng, ctx);
    if ('errors' in loc) return loc;
    const start = t.values.start;
    const end = 'end' in t.values ? (t.values as { end: number }).end : start;
    const card = v.cardId === undefined ? null : ctx.pseudonymiser.hash('card', v.cardId, start);
    const mode = v.mode ?? null;
    const record: TicketingEvent = {
      recordId: recordId('ticketing', v.id, [v.stationId, v.kind, start, end, mode, card?.hash ?? null]),
      stationId: v.stationId,
      kind: v.kind,
      start,
      end,
      count: v.count ?? 1,
      mode,
      cardHash: card?.hash ?? null,
      ...loc,
      keyPeriod: card?.period ?? null,
      receivedAt: ctx.nowMs,
    };
    const errors = checkTicketingEvent(record, ctx.limits);
    return errors.length > 0 ? { errors } : { record };
  },
};
