// wifi-meraki: v2 and v3 Scanning API payloads (shapes as in Meraki's documentation), the shared
// secret (wrong or missing refuses the whole payload), RSSI scales, and bad observations.

import { describe, expect, it } from 'vitest';
import { createWifiMeraki, merakiRssi } from './wifi-meraki.js';
import { recordsOf, rejectsOf, runRows, runText, schemaErrors, thrown } from './testing.js';

const SECRET = 'supersecret';

const v2 = {
  version: '2.0',
  secret: SECRET,
  type: 'DevicesSeen',
  data: {
    apMac: '00:18:0A:13:DD:B0',
    apFloors: [],
    apTags: ['dev', 'entrance'],
    observations: [
      {
        ipv4: '/192.168.0.38',
        location: { lat: 51.5355157, lng: -0.06990350000000944, unc: 1.23, x: [], y: [] },
        seenTime: '2016-09-24T00:06:23Z',
        ssid: '.interwebs',
        os: null,
        clientMac: '18:fe:34:fc:5a:7f',
        seenEpoch: 1474675583,
        rssi: 47,
        ipv6: null,
        manufacturer: 'Espressif',
      },
      { location: { lat: 'NaN', lng: 'NaN' }, seenEpoch: 1474675600, clientMac: '74-DA-38-56-0A-80', rssi: 12 },
    ],
  },
};

const v3 = {
  version: '3.0',
  secret: SECRET,
  type: 'WiFi',
  data: {
    networkId: 'L_1234',
    observations: [
      {
        clientMac: 'aa:bb:cc:dd:ee:01',
        latestRecord: { time: '2024-05-01T10:00:30Z', nearestApMac: '0C:8D:DB:00:00:01', nearestApRssi: '-61' },
        locations: [
          { time: '2024-05-01T10:00:00Z', lat: '55.1', lng: '12.1', variance: 3, nearestApRssi: -70 },
          { time: '2024-05-01T10:00:25Z', lat: 55.2, lng: 12.2, variance: 2, nearestApRssi: -62 },
        ],
      },
      {
        clientMac: 'aabb.ccdd.ee02',
        locations: [
          {
            time: '2024-05-01T10:00:10Z',
            lat: 55.3,
            lng: 12.3,
            rssiRecords: [
              { apMac: '0c:8d:db:00:00:02', rssi: -80 },
              { apMac: '0c:8d:db:00:00:03', rssi: -55 },
            ],
          },
        ],
      },
      { clientMac: 'not-a-mac', latestRecord: { time: '2024-05-01T10:00:00Z', nearestApMac: '0c:8d:db:00:00:01' } },
      { clientMac: 'aa:bb:cc:dd:ee:04', latestRecord: { nearestApMac: '0c:8d:db:00:00:01' } },
    ],
  },
};

describe('wifi-meraki', () => {
  it('v2: one sighting per observation at the AP (normalised MAC), RSSI in dBm, location when the payload has one', () => {
    const out = runRows(createWifiMeraki({ secret: SECRET }), [v2]);
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'wifi')).toEqual([
      {
        sensorId: '00:18:0a:13:dd:b0',
        deviceId: '18:fe:34:fc:5a:7f',
        seenAt: '2016-09-24T00:06:23Z',
        rssi: -48,
        lat: 51.5355157,
        lng: -0.06990350000000944,
      },
      { sensorId: '00:18:0a:13:dd:b0', deviceId: '74:da:38:56:0a:80', seenAt: '2016-09-24T00:06:40Z', rssi: -83 },
    ]);
  });

  it('v3: nearest AP from latestRecord (or the loudest rssiRecord), the latest location, string numbers read', () => {
    const out = runRows(createWifiMeraki({ secret: SECRET, sensorPrefix: 'mr-' }), [v3]);
    expect(schemaErrors(out)).toEqual([]);
    expect(recordsOf(out, 'wifi')).toEqual([
      { sensorId: 'mr-0c:8d:db:00:00:01', deviceId: 'aa:bb:cc:dd:ee:01', seenAt: '2024-05-01T10:00:30Z', rssi: -61, lat: 55.2, lng: 12.2 },
      { sensorId: 'mr-0c:8d:db:00:00:03', deviceId: 'aa:bb:cc:dd:ee:02', seenAt: '2024-05-01T10:00:10Z', rssi: -55, lat: 55.3, lng: 12.3 },
    ]);
    expect(rejectsOf(out).map((r) => r.field)).toEqual(['data.observations[2].clientMac', 'data.observations[3].latestRecord.time']);
  });

  it('a wrong or missing secret refuses the whole payload with one reject on `secret`', () => {
    const m = createWifiMeraki({ secret: SECRET });
    const out = runRows(m, [
      { ...v2, secret: 'supersecreT' },
      { ...v3, secret: undefined },
      { ...v3, secret: 42 },
    ]);
    expect(recordsOf(out, 'wifi')).toEqual([]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual(['2:secret', '3:secret', '4:secret']);
  });

  it('Bluetooth payloads, unknown versions and non-objects are rejected; nothing throws', () => {
    const out = runRows(createWifiMeraki({ secret: SECRET }), [
      { ...v2, type: 'BluetoothDevicesSeen' },
      { ...v3, type: 'BLE' },
      { ...v3, version: '1.0' },
      { ...v2, data: { ...v2.data, apMac: 'x' } },
      { ...v2, data: { apMac: '00:18:0a:13:dd:b0', observations: 'none' } },
      [],
    ]);
    expect(rejectsOf(out).map((r) => `${r.line}:${r.field}`)).toEqual([
      '2:type',
      '3:type',
      '4:version',
      '5:data.apMac',
      '6:data.observations',
      '7:payload',
    ]);
  });

  it('reads payload files (one JSON document) and NDJSON of payloads', async () => {
    const one = await runText(createWifiMeraki({ secret: SECRET }), JSON.stringify(v2, null, 2), 'json');
    expect(recordsOf(one, 'wifi')).toHaveLength(2);
    const many = await runText(createWifiMeraki({ secret: SECRET }), `${JSON.stringify(v2)}\n${JSON.stringify(v3)}\n`, 'ndjson');
    expect(recordsOf(many, 'wifi')).toHaveLength(4);
  });

  it('needs a secret', () => {
    expect(thrown(() => createWifiMeraki({} as never))).toMatchObject({ code: 'invalid_mapper_options', fields: [{ field: 'secret' }] });
  });

  it('RSSI: dBm kept, Meraki’s positive scale shifted by −95, nonsense dropped', () => {
    expect([merakiRssi(-61), merakiRssi('-61'), merakiRssi(47), merakiRssi(0), merakiRssi(200), merakiRssi('x')]).toEqual([
      -61,
      -61,
      -48,
      0,
      undefined,
      undefined,
    ]);
  });
});
