// ticketing-turnstile: cumulative readings → interval counts; counter resets, runs backwards,
// absurd jumps, gaps, duplicates and out-of-order rows; a repeated local hour; and, on random
// monotone counters, that the counts add up to last − first reading.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTicketingTurnstile } from './ticketing-turnstile.js';
import { recordsOf, rejectsOf, runRows, schemaErrors } from './testing.js';

const at = (h: number, m = 0): string => `2017-06-17T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00-04:00`;

describe('ticketing-turnstile', () => {
  it('differences consecutive readings per device into gate_entry / gate_exit with the interval', () => {
    const out = runRows(createTicketingTurnstile({ mode: 'subway' }), [
      { device: 'g1', station: 'st-1', time: at(0), entries: '0000001000', exits: '500' },
      { device: 'g2', station: 'st-1', time: at(0), entries: 7, exits: 7 },
      { device: 'g1', station: 'st-1', time: at(4), entries: '0000001034', exits: '505' },
      { device: 'g2', station: 'st-1', time: at(4), entries: 7, exits: 9 },
    ]);
    expect(rejectsOf(out)).toEqual([]);
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'ticketing')).toEqual([
      {
        id: 'st-1/g1@2017-06-17T00:00:00-04:00:entries',
        stationId: 'st-1',
        kind: 'gate_entry',
        start: at(0),
        end: at(4),
        count: 34,
        mode: 'subway',
      },
      {
        id: 'st-1/g1@2017-06-17T00:00:00-04:00:exits',
        stationId: 'st-1',
        kind: 'gate_exit',
        start: at(0),
        end: at(4),
        count: 5,
        mode: 'subway',
      },
      {
        id: 'st-1/g2@2017-06-17T00:00:00-04:00:entries',
        stationId: 'st-1',
        kind: 'gate_entry',
        start: at(0),
        end: at(4),
        count: 0,
        mode: 'subway',
      },
      {
        id: 'st-1/g2@2017-06-17T00:00:00-04:00:exits',
        stationId: 'st-1',
        kind: 'gate_exit',
        start: at(0),
        end: at(4),
        count: 2,
        mode: 'subway',
      },
    ]);
  });

  it('a counter that resets or runs backwards rejects that interval and counts on from the new value', () => {
    const out = runRows(createTicketingTurnstile(), [
      { device: 'g', station: 's', time: at(0), entries: 5000, exits: 100 },
      { device: 'g', station: 's', time: at(4), entries: 12, exits: 90 },
      { device: 'g', station: 's', time: at(8), entries: 40, exits: 95 },
    ]);
    expect(rejectsOf(out).map((r) => [r.line, r.field, /^counter went backwards by (\d+) /.exec(r.reason)?.[1]])).toEqual([
      [3, 'entries', '4988'],
      [3, 'exits', '10'],
    ]);
    expect(recordsOf(out, 'ticketing').map((r) => [r.kind, r.start, r.count])).toEqual([
      ['gate_entry', at(4), 28],
      ['gate_exit', at(4), 5],
    ]);
  });

  it('more than maxPerMinute passages per minute is absurd: rejected, then re-based (one minute at least for short gaps)', () => {
    const out = runRows(createTicketingTurnstile({ maxPerMinute: 60 }), [
      { device: 'g', station: 's', time: at(0), entries: 0, exits: 0 },
      { device: 'g', station: 's', time: at(4), entries: 14_400, exits: 14_401 },
      { device: 'g', station: 's', time: '2017-06-17T04:00:30-04:00', entries: 14_460, exits: 14_462 },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['3:exits', '4:exits']);
    expect(recordsOf(out, 'ticketing').map((r) => [r.kind, r.count])).toEqual([
      ['gate_entry', 14_400],
      ['gate_entry', 60],
    ]);
  });

  it('duplicates and out-of-order readings are rejected without moving the base; a gap longer than maxGapMs is rejected', () => {
    const out = runRows(createTicketingTurnstile({ maxGapMs: 12 * 3_600_000 }), [
      { device: 'g', station: 's', time: at(0), entries: 10 },
      { device: 'g', station: 's', time: at(4), entries: 20 },
      { device: 'g', station: 's', time: at(4), entries: 20 },
      { device: 'g', station: 's', time: at(2), entries: 15 },
      { device: 'g', station: 's', time: at(8), entries: 26 },
      { device: 'g', station: 's', time: '2017-06-18T09:00:00-04:00', entries: 100 },
      { device: 'g', station: 's', time: '2017-06-18T10:00:00-04:00', entries: 101 },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}:${r.reason.split(' ')[0]}`)).toEqual([
      '4:time:duplicate',
      '5:time:reading',
      '7:time:entries:',
    ]);
    expect(recordsOf(out, 'ticketing').map((r) => r.count)).toEqual([10, 6, 1]);
  });

  it('local readings across the New York autumn repeat: 01:00 twice is two different hours (first after the previous reading)', () => {
    const out = runRows(createTicketingTurnstile({ zone: 'America/New_York' }), [
      { device: 'g', station: 's', time: '2017-11-05 00:00:00', entries: 0 },
      { device: 'g', station: 's', time: '2017-11-05 01:00:00', entries: 10 },
      { device: 'g', station: 's', time: '2017-11-05 01:00:00', entries: 30 },
      { device: 'g', station: 's', time: '2017-11-05 02:00:00', entries: 60 },
    ]);
    expect(rejectsOf(out)).toEqual([]);
    expect(recordsOf(out, 'ticketing').map((r) => [r.start, r.end, r.count])).toEqual([
      ['2017-11-05T00:00:00-04:00', '2017-11-05T01:00:00-04:00', 10],
      ['2017-11-05T01:00:00-04:00', '2017-11-05T01:00:00-05:00', 20],
      ['2017-11-05T01:00:00-05:00', '2017-11-05T02:00:00-05:00', 30],
    ]);
  });

  it('bad values are rejects naming the column; the other counter of the row still counts', () => {
    const out = runRows(createTicketingTurnstile(), [
      { device: 'g', station: 's', time: at(0), entries: 1, exits: 1 },
      { device: 'g', station: 's', time: at(4), entries: 'x', exits: 3 },
      { device: '', station: 's', time: at(8), entries: 1 },
      { device: 'g', station: 'bad id!', time: at(8), entries: 1 },
      { device: 'g', station: 's', time: 'soon', entries: 1 },
      { device: 'g', station: 's', time: at(9) },
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['3:entries', '4:device', '5:station', '6:time', '7:entries']);
    expect(recordsOf(out, 'ticketing').map((r) => [r.kind, r.count])).toEqual([['gate_exit', 2]]);
  });

  it('random monotone counters within the limits: the counts of each device sum to its last minus its first reading', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 240 }), fc.integer({ min: 0, max: 60 })), {
          maxLength: 60,
        }),
        (steps) => {
          const state = [0, 0, 0].map(() => ({ t: Date.UTC(2020, 0, 1), v: 1000, first: 1000, seen: false }));
          const rows = steps.map(([d, minutes, perMinute]) => {
            const s = state[d]!;
            if (s.seen) {
              s.t += minutes * 60_000;
              s.v += Math.floor(perMinute * minutes);
            }
            s.seen = true;
            return { device: `g${d}`, station: 's', time: s.t, entries: s.v };
          });
          const out = runRows(createTicketingTurnstile(), rows);
          expect(rejectsOf(out)).toEqual([]);
          for (let d = 0; d < 3; d++) {
            const mine = recordsOf(out, 'ticketing').filter((r) => r.id!.startsWith(`s/g${d}@`));
            expect(mine.reduce((a, r) => a + r.count!, 0)).toBe(state[d]!.v - state[d]!.first);
            for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBe(mine[i - 1]!.end);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
