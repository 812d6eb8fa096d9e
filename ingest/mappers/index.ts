// The mapper registry used by the HTTP mapping route and the backfill CLI: name → factory, the
// option schema of each (for help and validation), and the file runner. Reads nothing itself;
// factories read their side files when created.

import type { TSchema } from '@sinclair/typebox';
import { PassageError } from '../../shared/errors.js';
import { CameraExportOptions, createCameraExport } from './camera-export.js';
import { createHokurikuStays, HokurikuOptions } from './hokuriku.js';
import { createMelbourneHourly, createMelbourneMonthlyWide, MelbourneHourlyOptions, MelbourneMonthlyOptions } from './melbourne.js';
import { createNycMtaTurnstile, NycMtaOptions } from './nyc-mta.js';
import { createTelcoEvents, TelcoEventsOptions } from './telco-events.js';
import { createTicketingTaps, TicketingTapsOptions } from './ticketing-taps.js';
import { createTicketingTurnstile, TurnstileOptions } from './ticketing-turnstile.js';
import type { Mapper, MapperFactory } from './types.js';
import { createWifiMeraki, WifiMerakiOptions } from './wifi-meraki.js';
import { createWifiVisits, WifiVisitsOptions } from './wifi-visits.js';

export type { MapOutput, Mapper, MapperFactory, RecordOutput, RejectOutput } from './types.js';
export { mapFile, mapStream, readRows, INPUT_FORMATS, type InputFormat, type ReadOptions, type RowItem } from './map-file.js';
export { localToInstant, localCandidates, type LocalInstant } from './local-time.js';
export { hokurikuFacilityFromPath } from './hokuriku.js';
export { nycMtaSideFiles } from './nyc-mta.js';

// Each factory validates its options itself (unknown keys refused), so `unknown` is safe to pass.
export const MAPPERS = {
  'camera-export': (opts?: unknown) => createCameraExport(opts as CameraExportOptions),
  'wifi-meraki': (opts?: unknown) => createWifiMeraki(opts as WifiMerakiOptions),
  'wifi-visits': (opts?: unknown) => createWifiVisits(opts as WifiVisitsOptions),
  'ticketing-taps': (opts?: unknown) => createTicketingTaps(opts as TicketingTapsOptions),
  'ticketing-turnstile': (opts?: unknown) => createTicketingTurnstile(opts as TurnstileOptions),
  'telco-events': (opts?: unknown) => createTelcoEvents(opts as TelcoEventsOptions),
  'melbourne-hourly': (opts?: unknown) => createMelbourneHourly(opts as MelbourneHourlyOptions),
  'melbourne-monthly-wide': (opts?: unknown) => createMelbourneMonthlyWide(opts as MelbourneMonthlyOptions),
  'nyc-mta-turnstile': (opts?: unknown) => createNycMtaTurnstile(opts as NycMtaOptions),
  'hokuriku-stays': (opts?: unknown) => createHokurikuStays(opts as HokurikuOptions),
} satisfies Record<string, MapperFactory>;

export type MapperName = keyof typeof MAPPERS;
export const MAPPER_NAMES = Object.keys(MAPPERS) as MapperName[];

/** The options schema of each mapper (TypeBox / JSON Schema), e.g. to print help or validate a request. */
export const MAPPER_OPTIONS: Record<MapperName, TSchema> = {
  'camera-export': CameraExportOptions,
  'wifi-meraki': WifiMerakiOptions,
  'wifi-visits': WifiVisitsOptions,
  'ticketing-taps': TicketingTapsOptions,
  'ticketing-turnstile': TurnstileOptions,
  'telco-events': TelcoEventsOptions,
  'melbourne-hourly': MelbourneHourlyOptions,
  'melbourne-monthly-wide': MelbourneMonthlyOptions,
  'nyc-mta-turnstile': NycMtaOptions,
  'hokuriku-stays': HokurikuOptions,
};

export function isMapperName(name: string): name is MapperName {
  return Object.hasOwn(MAPPERS, name);
}

/** Creates a mapper by name; an unknown name or bad options throw a PassageError (400) saying what to fix. */
export function createMapper(name: string, opts?: unknown): Mapper {
  if (!isMapperName(name))
    throw new PassageError('unknown_mapper', `unknown mapper ${JSON.stringify(name)}; known: ${MAPPER_NAMES.join(', ')}`, {
      status: 400,
      fields: [{ field: 'mapper', reason: `must be one of ${MAPPER_NAMES.join(', ')}` }],
    });
  return MAPPERS[name](opts);
}
