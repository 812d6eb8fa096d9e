// H3 helpers: cells are hex strings in the API and UInt64 in the store. Base resolution 10,
// rollups to 9, 8, 7 (DESIGN.md, Space).

import { latLngToCell, isValidCell, getResolution, cellToParent } from 'h3-js';

export const BASE_RESOLUTION = 10;
export const MIN_RESOLUTION = 7;

export function cellOf(lat: number, lng: number, resolution = BASE_RESOLUTION): string {
  return latLngToCell(lat, lng, resolution);
}

export function cellToUInt64(cell: string): bigint {
  return BigInt(`0x${cell}`);
}

export function uint64ToCell(value: bigint | string | number): string {
  return BigInt(value).toString(16);
}

/** Returns the resolution of a valid H3 cell, or null when `cell` is not one. */
export function cellResolution(cell: string): number | null {
  return /^[0-9a-f]{15}$/i.test(cell) && isValidCell(cell.toLowerCase()) ? getResolution(cell.toLowerCase()) : null;
}

export function parentCell(cell: string, resolution: number): string {
  return cellToParent(cell, resolution);
}
