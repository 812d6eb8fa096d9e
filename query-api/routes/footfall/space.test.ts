// /v1/footfall and /v1/flows asked about a GeoJSON area or a named zone instead of a cell list: the
// answer equals the one for the cells that cover the area or zone, and a request naming none or
// several of cells/area/zone is refused naming the field.
import { cellToLatLng, latLngToCell } from 'h3-js';
import { afterEach, describe, expect, it } from 'vitest';
import { cellToUInt64 } from '../../../shared/h3.js';
import { ADMIN_AUTH, historyApp, type HistoryApp } from '../../../shared/testing/history.js';
import { Zones } from '../../zones/zones.js';
import { flowsRoute } from '../flows/route.js';
import { footfallRoute } from './route.js';

const T = Date.parse('2026-11-20T08:00:00+01:00');
const HOUR = 3_600_000;

let h: HistoryApp | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('history routes over an area or a zone', () => {
  it('answer an area or zone as the cells that cover it, and refuse a request naming none or two of them', async () => {
    const zones = await Zones.load(null);
    h = await historyApp(
      (app, o) => {
        footfallRoute(app, o);
        flowsRoute(app, o);
      },
      { zones },
    );
    const zoneCells = zones.cells('indre-by', 8);
    const inside = cellToLatLng(zoneCells[0]!);
    const base = latLngToCell(inside[0], inside[1], 10);
    await h.store.insert('counts_5m', [
      { source: 'camera', cell: cellToUInt64(base), window_start: T / 1000, breakdown: '', entries: 40, exits: 2 },
    ]);
    const get = async (q: string) =>
      h!.app.inject({
        method: 'GET',
        url: `/v1/footfall?${q}&from=${T}&to=${T + HOUR}&bucket=1h&resolution=8&enrich=false`,
        headers: ADMIN_AUTH,
      });
    const byZone = await get('zone=indre-by');
    expect(byZone.statusCode).toBe(200);
    const byCells = await get(`cells=${zoneCells.join(',')}`);
    expect(byZone.json<{ data: unknown[] }>().data).toEqual(byCells.json<{ data: unknown[] }>().data);
    const hit = byZone.json<{ data: { cell: string; value: number | null }[] }>().data.find((r) => r.value !== null);
    expect(hit?.value).toBe(42);

    // A small square around the base cell's centre as GeoJSON: the same cell at resolution 8.
    const [lat, lng] = cellToLatLng(base);
    const d = 0.001;
    const square = {
      type: 'Polygon',
      coordinates: [
        [
          [lng - d, lat - d],
          [lng + d, lat - d],
          [lng + d, lat + d],
          [lng - d, lat + d],
          [lng - d, lat - d],
        ],
      ],
    };
    const byArea = await get(`area=${encodeURIComponent(JSON.stringify(square))}`);
    expect(byArea.statusCode).toBe(200);
    expect(byArea.json<{ data: { value: number | null }[] }>().data.map((r) => r.value)).toEqual([42]);

    const none = await h.app.inject({ method: 'GET', url: `/v1/footfall?from=${T}&to=${T + HOUR}`, headers: ADMIN_AUTH });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ errors: [{ field: 'cells' }] });
    const two = await get(`zone=indre-by&cells=${base}`);
    expect(two.statusCode).toBe(400);
    expect(two.json()).toMatchObject({ errors: [{ field: 'zone' }] });
    const unknown = await get('zone=atlantis');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ errors: [{ field: 'zone' }] });
    const flows = await h.app.inject({
      method: 'GET',
      url: `/v1/flows?zone=indre-by&from=${T}&to=${T + HOUR}&bucket=1h&resolution=8`,
      headers: ADMIN_AUTH,
    });
    expect(flows.statusCode).toBe(200);
  });
});
