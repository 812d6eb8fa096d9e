// The simulated city: one world and a model per source, asked for "everything due in [from, to)".
// Pure given (seed, scale): the same slice always holds the same records. Also sizes the city for a
// wanted record rate (the CLI's --rate). Reads and writes nothing.

import type { CameraInput, SensorInput, TelcoInput, TicketingInput, WifiInput } from '../../schemas/inputs.js';
import { HOUR_MS, MINUTE_MS } from '../../shared/time.js';
import { cameraRecords, cameraSensors } from './camera.js';
import { ContextModel, emptyContext, type ContextBatch } from './context.js';
import { TelcoModel } from './telco.js';
import { TicketingModel, ticketingSensors } from './ticketing.js';
import { WifiModel, wifiSensors } from './wifi.js';
import { World } from './world.js';

export const SIM_SOURCES = ['camera', 'wifi', 'telco', 'ticketing', 'context'] as const;
export type SimSource = (typeof SIM_SOURCES)[number];

export const DEFAULT_SEED = 20_260_101;

export interface CityOptions {
  seed: number;
  /** Crowd size: 1 is the embedded default; records of individuals (sightings, events, taps) grow in proportion. */
  scale: number;
  sources: readonly SimSource[];
}

export interface Slice {
  camera: CameraInput[];
  wifi: WifiInput[];
  telco: TelcoInput[];
  ticketing: TicketingInput[];
  context: ContextBatch;
}

export function sliceSize(s: Slice): number {
  return s.camera.length + s.wifi.length + s.telco.length + s.ticketing.length + contextSize(s.context);
}

export function contextSize(c: ContextBatch): number {
  return c.weather.length + c.events.length + c.incidents.length;
}

export class SimulatedCity {
  readonly world: World;
  private readonly wifi: WifiModel | null;
  private readonly telco: TelcoModel | null;
  private readonly ticketing: TicketingModel | null;
  private readonly context: ContextModel | null;

  constructor(readonly options: CityOptions) {
    this.world = new World(options.seed);
    const has = (s: SimSource): boolean => options.sources.includes(s);
    this.wifi = has('wifi') ? new WifiModel(this.world, options.scale) : null;
    this.telco = has('telco') ? new TelcoModel(this.world, options.scale) : null;
    this.ticketing = has('ticketing') ? new TicketingModel(this.world, options.scale) : null;
    this.context = has('context') ? new ContextModel(this.world) : null;
  }

  /** Every record due in [fromMs, toMs): events at their time, interval counts at their end. */
  slice(fromMs: number, toMs: number): Slice {
    return {
      camera: this.options.sources.includes('camera') ? cameraRecords(this.world, this.options.scale, fromMs, toMs) : [],
      wifi: this.wifi?.records(fromMs, toMs) ?? [],
      telco: this.telco?.records(fromMs, toMs) ?? [],
      ticketing: this.ticketing?.records(fromMs, toMs) ?? [],
      context: this.context?.records(fromMs, toMs) ?? emptyContext(),
    };
  }

  /** The context a feed shows at `nowMs` (sent once at start, so events of today are known at once). */
  currentContext(nowMs: number): ContextBatch {
    return this.context?.current(nowMs) ?? emptyContext();
  }

  /** The sensors to register before sending (telco cells travel in the records). */
  sensors(): SensorInput[] {
    const has = (s: SimSource): boolean => this.options.sources.includes(s);
    return [
      ...(has('camera') ? cameraSensors() : []),
      ...(has('wifi') ? wifiSensors() : []),
      ...(has('ticketing') ? ticketingSensors() : []),
    ];
  }
}

export interface RateEstimate {
  /** Records per minute that do not grow with scale (interval counts, context), day average. */
  fixed: number;
  /** Records per minute per unit of scale (sightings, network events, taps), day average. */
  perScale: number;
  /** Per source at scale 1, day average. */
  bySource: Record<SimSource, number>;
}

/**
 * Records per minute over the day starting at `fromMs`, from one 5-minute sample in each hour at
 * scale 1 (5 minutes so every sample holds one round of 5-minute gate counts).
 */
export function estimateRate(seed: number, sources: readonly SimSource[], fromMs: number): RateEstimate {
  const bySource: Record<SimSource, number> = { camera: 0, wifi: 0, telco: 0, ticketing: 0, context: 0 };
  let fixed = 0;
  let perScale = 0;
  const city = new SimulatedCity({ seed, scale: 1, sources });
  const sampleMs = 5 * MINUTE_MS;
  for (let h = 0; h < 24; h++) {
    const t = Math.floor(fromMs / HOUR_MS) * HOUR_MS + h * HOUR_MS + 20 * MINUTE_MS;
    const s = city.slice(t, t + sampleMs);
    const taps = s.ticketing.filter((r) => r.kind === 'tap_in' || r.kind === 'tap_out').length;
    bySource.camera += s.camera.length;
    bySource.wifi += s.wifi.length;
    bySource.telco += s.telco.length;
    bySource.ticketing += s.ticketing.length;
    fixed += s.camera.length + (s.ticketing.length - taps);
    perScale += s.wifi.length + s.telco.length + taps;
  }
  // Context is hourly: 2 weather observations an hour, the week's events each midnight, an incident or two a day.
  if (sources.includes('context')) bySource.context = 24 * 2 + 10;
  const perMinute = (n: number): number => n / (24 * (sampleMs / MINUTE_MS));
  for (const k of Object.keys(bySource) as SimSource[]) if (k !== 'context') bySource[k] = perMinute(bySource[k]);
  bySource.context /= 24 * 60;
  return { fixed: perMinute(fixed) + bySource.context, perScale: perMinute(perScale), bySource };
}

/** The scale at which the sources produce about `ratePerSecond` records a second on average over the coming day. */
export function scaleForRate(est: RateEstimate, ratePerSecond: number): number {
  if (est.perScale <= 0) return 1;
  return Math.max(0.01, (ratePerSecond * 60 - est.fixed) / est.perScale);
}
