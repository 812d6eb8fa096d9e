// wifi-meraki: Cisco Meraki Scanning API payloads (v2 DevicesSeen per AP, v3 WiFi per network) →
// one WifiInput per observation, sensor = the AP's MAC. The payload's shared secret is checked
// first; a wrong or missing one rejects the whole payload. Reads one JSON payload per row.

import { Type, type Static } from '@sinclair/typebox';
import { timingSafeEqual } from 'node:crypto';
import type { WifiInput } from '../../schemas/inputs.js';
import { asRow, decimal, normaliseMac, type Row } from './fields.js';
import { readTime } from './local-time.js';
import { checkOptions, ID_PREFIX } from './options.js';
import { reject, wifiRecord, type MapOutput, type Mapper } from './types.js';

export const WifiMerakiOptions = Type.Object(
  {
    secret: Type.String({ minLength: 1, description: 'The shared secret configured for the Scanning API in the Meraki dashboard' }),
    sensorPrefix: Type.Optional(
      Type.String({ maxLength: 64, pattern: ID_PREFIX, description: 'Prefix added to the AP MAC to form the sensor id (default none)' }),
    ),
  },
  { additionalProperties: false },
);
export type WifiMerakiOptions = Static<typeof WifiMerakiOptions>;

function secretMatches(given: unknown, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const g = Buffer.from(given, 'utf8');
  // Compare in constant time so response timing does not leak the secret one byte at a time.
  return g.length === expected.length && timingSafeEqual(g, expected);
}

/**
 * Meraki reports RSSI as dBm (negative) in v3 and as a positive value above a -95 dBm floor in v1/v2
 * ("subtract 95 to get units in dBm", Scanning API v1 docs). Values that fit neither are dropped.
 */
export function merakiRssi(v: unknown): number | undefined {
  const n = decimal(v);
  if (typeof n !== 'number') return undefined;
  const dbm = n > 0 ? n - 95 : n;
  const r = Math.round(dbm);
  return r >= -120 && r <= 0 ? r : undefined;
}

/** A usable lat/lng pair: finite, in range, and not 0,0 (what unplaced APs report). */
function latLng(latV: unknown, lngV: unknown): { lat: number; lng: number } | undefined {
  const lat = decimal(latV);
  const lng = decimal(lngV);
  if (typeof lat !== 'number' || typeof lng !== 'number') return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180 || (lat === 0 && lng === 0)) return undefined;
  return { lat, lng };
}

export function createWifiMeraki(opts: WifiMerakiOptions): Mapper {
  const o = checkOptions('wifi-meraki', WifiMerakiOptions, opts);
  const expected = Buffer.from(o.secret, 'utf8');
  const prefix = o.sensorPrefix ?? '';

  function sighting(
    sensorMac: string,
    clientMac: string,
    seenAt: string,
    rssi: unknown,
    loc: { lat: number; lng: number } | undefined,
  ): MapOutput {
    const record: WifiInput = { sensorId: prefix + sensorMac, deviceId: clientMac, seenAt };
    const r = merakiRssi(rssi);
    if (r !== undefined) record.rssi = r;
    if (loc !== undefined) Object.assign(record, loc);
    return wifiRecord(record);
  }

  function v2(data: Row, line: number): MapOutput[] {
    const ap = normaliseMac(data.apMac);
    if (ap === null) return [reject(line, 'data.apMac', `must be a MAC address, got ${JSON.stringify(data.apMac ?? null)}`)];
    if (!Array.isArray(data.observations)) return [reject(line, 'data.observations', 'must be an array')];
    const out: MapOutput[] = [];
    for (const [i, obsV] of (data.observations as unknown[]).entries()) {
      const at = `data.observations[${i}]`;
      const obs = asRow(obsV);
      const client = normaliseMac(obs?.clientMac);
      if (obs === null) out.push(reject(line, at, 'must be an object'));
      else if (client === null) out.push(reject(line, `${at}.clientMac`, 'must be a MAC address'));
      else {
        let t = readTime(obs.seenTime);
        if (!t.ok && typeof obs.seenEpoch === 'number') t = readTime(Math.round(obs.seenEpoch * 1000));
        const l = asRow(obs.location);
        if (!t.ok) out.push(reject(line, `${at}.seenTime`, t.reason));
        else out.push(sighting(ap, client, t.iso, obs.rssi, l === null ? undefined : latLng(l.lat, l.lng)));
      }
    }
    return out;
  }

  function v3(data: Row, line: number): MapOutput[] {
    if (!Array.isArray(data.observations)) return [reject(line, 'data.observations', 'must be an array')];
    const out: MapOutput[] = [];
    for (const [i, obsV] of (data.observations as unknown[]).entries()) {
      const at = `data.observations[${i}]`;
      const obs = asRow(obsV);
      const client = normaliseMac(obs?.clientMac);
      if (obs === null) out.push(reject(line, at, 'must be an object'));
      else if (client === null) out.push(reject(line, `${at}.clientMac`, 'must be a MAC address'));
      else out.push(v3Observation(obs, client, at, line));
    }
    return out;
  }

  function v3Observation(obs: Row, client: string, at: string, line: number): MapOutput {
    // `locations` is the client's recent track; the latest point is where it was when last heard.
    let latest: { row: Row; ms: number } | undefined;
    if (Array.isArray(obs.locations)) {
      for (const locV of obs.locations as unknown[]) {
        const loc = asRow(locV);
        const lt = loc === null ? undefined : readTime(loc.time);
        if (loc !== null && lt !== undefined && lt.ok && (latest === undefined || lt.ms > latest.ms)) latest = { row: loc, ms: lt.ms };
      }
    }
    const rec = asRow(obs.latestRecord);
    const t = readTime(rec?.time ?? latest?.row.time);
    if (!t.ok) return reject(line, `${at}.latestRecord.time`, t.reason);
    let ap = normaliseMac(rec?.nearestApMac);
    let rssi: unknown = rec?.nearestApRssi ?? latest?.row.nearestApRssi;
    if (ap === null && latest !== undefined && Array.isArray(latest.row.rssiRecords)) {
      // Without latestRecord, the AP that heard the client loudest stands in for the nearest one.
      let best = -Infinity;
      for (const rrV of latest.row.rssiRecords as unknown[]) {
        const rr = asRow(rrV);
        const mac = normaliseMac(rr?.apMac);
        const r = decimal(rr?.rssi);
        if (mac !== null && typeof r === 'number' && r > best) {
          best = r;
          ap = mac;
        }
      }
      rssi ??= ap === null ? undefined : best;
    }
    if (ap === null) return reject(line, `${at}.latestRecord.nearestApMac`, 'no AP MAC for this observation');
    return sighting(ap, client, t.iso, rssi, latest === undefined ? undefined : latLng(latest.row.lat, latest.row.lng));
  }

  function push(value: unknown, line: number): MapOutput[] {
    const payload = asRow(value);
    if (payload === null) return [reject(line, 'payload', 'must be a Scanning API JSON object')];
    if (payload.secret === undefined || payload.secret === null || payload.secret === '')
      return [reject(line, 'secret', 'is missing; the payload is not from the configured Meraki network')];
    if (!secretMatches(payload.secret, expected))
      return [reject(line, 'secret', 'does not match the configured shared secret; the whole payload is refused')];
    const version = typeof payload.version === 'string' || typeof payload.version === 'number' ? String(payload.version) : '';
    const major = Number.parseInt(version, 10);
    const data = asRow(payload.data);
    if (major !== 2 && major !== 3)
      return [reject(line, 'version', `unsupported Scanning API version ${JSON.stringify(payload.version ?? null)} (2.x and 3.x are)`)];
    const expectedType = major === 2 ? 'DevicesSeen' : 'WiFi';
    if (payload.type !== expectedType) {
      const ble = payload.type === 'BluetoothDevicesSeen' || payload.type === 'BLE';
      return [
        reject(
          line,
          'type',
          ble
            ? 'Bluetooth observations are not Wi-Fi sightings and are not mapped'
            : `must be ${expectedType} for version ${major}, got ${JSON.stringify(payload.type ?? null)}`,
        ),
      ];
    }
    if (data === null) return [reject(line, 'data', 'must be an object')];
    return major === 2 ? v2(data, line) : v3(data, line);
  }

  return {
    name: 'wifi-meraki',
    source: 'wifi',
    description:
      'Meraki Scanning API v2 (DevicesSeen) and v3 (WiFi) payloads → one WifiInput per observation, sensor = AP MAC; shared secret checked',
    push,
    end: () => [],
  };
}
