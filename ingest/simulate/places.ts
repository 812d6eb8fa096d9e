// Where the simulated Copenhagen happens: real coordinates (WGS84, about ±100 m) of camera places,
// metro stations, Wi-Fi sites on shopping streets and in malls, telco cell sites, event venues and
// weather stations. The one source of truth for every simulator; the sizes are synthetic.

export interface CameraPlace {
  sensorId: string;
  site: string;
  lat: number;
  lng: number;
  /** People per minute (both directions) at the busiest hour on a dry day, at scale 1. */
  peak: number;
}

/** People-counting cameras on streets and squares (all outdoors: rain lowers their counts). */
export const CAMERA_PLACES: readonly CameraPlace[] = [
  { sensorId: 'cph-cam-stroget-amagertorv', lat: 55.67862, lng: 12.57865, site: 'Strøget, Amagertorv', peak: 120 },
  { sensorId: 'cph-cam-norreport', lat: 55.68368, lng: 12.57163, site: 'Nørreport Station', peak: 160 },
  { sensorId: 'cph-cam-kongens-nytorv', lat: 55.68036, lng: 12.58566, site: 'Kongens Nytorv', peak: 90 },
  { sensorId: 'cph-cam-nyhavn', lat: 55.67976, lng: 12.59086, site: 'Nyhavn', peak: 70 },
  { sensorId: 'cph-cam-radhuspladsen', lat: 55.67568, lng: 12.56932, site: 'Rådhuspladsen', peak: 100 },
  { sensorId: 'cph-cam-istedgade', lat: 55.67081, lng: 12.55726, site: 'Istedgade, Vesterbro', peak: 45 },
  { sensorId: 'cph-cam-norrebrogade', lat: 55.68997, lng: 12.55383, site: 'Nørrebrogade', peak: 60 },
  { sensorId: 'cph-cam-fisketorvet', lat: 55.66195, lng: 12.56334, site: 'Fisketorvet', peak: 55 },
];

export interface WifiSite {
  sensorId: string;
  site: string;
  lat: number;
  lng: number;
  /** Malls and department stores: rain drives people in rather than away. */
  indoor: boolean;
  /** Devices arriving per minute at the busiest hour, at scale 1. */
  peakArrivals: number;
  /** Mean visit length (minutes). */
  dwellMin: number;
}

/** Wi-Fi people counters on shopping streets and in malls and department stores. */
export const WIFI_SITES: readonly WifiSite[] = [
  {
    sensorId: 'cph-wifi-stroget-gammeltorv',
    site: 'Strøget, Gammeltorv',
    lat: 55.6779,
    lng: 12.5731,
    indoor: false,
    peakArrivals: 1.9,
    dwellMin: 12,
  },
  { sensorId: 'cph-wifi-kobmagergade', site: 'Købmagergade', lat: 55.6806, lng: 12.5764, indoor: false, peakArrivals: 1.4, dwellMin: 10 },
  { sensorId: 'cph-wifi-illum', site: 'Illum, Østergade', lat: 55.679, lng: 12.5798, indoor: true, peakArrivals: 1.1, dwellMin: 30 },
  {
    sensorId: 'cph-wifi-magasin',
    site: 'Magasin du Nord, Kongens Nytorv',
    lat: 55.6792,
    lng: 12.5844,
    indoor: true,
    peakArrivals: 1.1,
    dwellMin: 35,
  },
  { sensorId: 'cph-wifi-torvehallerne', site: 'Torvehallerne', lat: 55.6838, lng: 12.5696, indoor: true, peakArrivals: 0.9, dwellMin: 25 },
  {
    sensorId: 'cph-wifi-fisketorvet',
    site: 'Fisketorvet shopping centre',
    lat: 55.6616,
    lng: 12.563,
    indoor: true,
    peakArrivals: 1.1,
    dwellMin: 45,
  },
  { sensorId: 'cph-wifi-fields', site: "Field's, Ørestad", lat: 55.6306, lng: 12.5778, indoor: true, peakArrivals: 1.5, dwellMin: 50 },
  {
    sensorId: 'cph-wifi-frederiksberg-centret',
    site: 'Frederiksberg Centret',
    lat: 55.6817,
    lng: 12.5322,
    indoor: true,
    peakArrivals: 0.9,
    dwellMin: 35,
  },
];

export interface MetroStation {
  stationId: string;
  name: string;
  lat: number;
  lng: number;
  lines: readonly string[];
  /** Passengers per minute entering (and as many leaving) at the busiest hour, at scale 1 (gate counts). */
  peak: number;
  /** Relative weight as a commuter's home station and as a workplace station. */
  home: number;
  work: number;
}

/** Copenhagen Metro stations (lines as of 2024: M1, M2, M3 Cityringen, M4). */
export const METRO_STATIONS: readonly MetroStation[] = [
  { stationId: 'cph-metro-norreport', name: 'Nørreport', lat: 55.6833, lng: 12.5716, lines: ['M1', 'M2'], peak: 60, home: 0.5, work: 3 },
  {
    stationId: 'cph-metro-kongens-nytorv',
    name: 'Kongens Nytorv',
    lat: 55.6794,
    lng: 12.5851,
    lines: ['M1', 'M2', 'M3', 'M4'],
    peak: 50,
    home: 0.3,
    work: 3,
  },
  {
    stationId: 'cph-metro-kobenhavn-h',
    name: 'København H',
    lat: 55.6725,
    lng: 12.5647,
    lines: ['M3', 'M4'],
    peak: 40,
    home: 0.5,
    work: 2.5,
  },
  {
    stationId: 'cph-metro-christianshavn',
    name: 'Christianshavn',
    lat: 55.6722,
    lng: 12.5914,
    lines: ['M1', 'M2'],
    peak: 30,
    home: 1.5,
    work: 1,
  },
  { stationId: 'cph-metro-osterport', name: 'Østerport', lat: 55.6925, lng: 12.5875, lines: ['M3', 'M4'], peak: 28, home: 1.5, work: 1.5 },
  {
    stationId: 'cph-metro-frederiksberg',
    name: 'Frederiksberg',
    lat: 55.6811,
    lng: 12.5314,
    lines: ['M1', 'M2', 'M3'],
    peak: 25,
    home: 2.5,
    work: 0.8,
  },
  { stationId: 'cph-metro-flintholm', name: 'Flintholm', lat: 55.6858, lng: 12.4992, lines: ['M1', 'M2'], peak: 20, home: 2.5, work: 0.5 },
  { stationId: 'cph-metro-amagerbro', name: 'Amagerbro', lat: 55.6639, lng: 12.603, lines: ['M2'], peak: 15, home: 2.5, work: 0.4 },
  { stationId: 'cph-metro-orestad', name: 'Ørestad', lat: 55.6289, lng: 12.5794, lines: ['M1'], peak: 15, home: 1.5, work: 1.5 },
];

/** The gate counter of a station: a sensor of its own, so interval counts never mix with card taps. */
export function gateSensorId(stationId: string): string {
  return `${stationId}-gates`;
}

export interface CellSite {
  cellId: string;
  area: string;
  lat: number;
  lng: number;
  /** Relative weights as a resident's home, a workplace, a place to go out, and a visitor's hotel. */
  home: number;
  work: number;
  leisure: number;
  hotel: number;
}

/** Telco network cell sites spread over the city (ids synthetic; positions at real neighbourhood centres). */
export const CELL_SITES: readonly CellSite[] = [
  { cellId: 'cph-cell-indre-by', area: 'Indre By', lat: 55.6794, lng: 12.577, home: 0.5, work: 3, leisure: 3, hotel: 3 },
  { cellId: 'cph-cell-norrebro', area: 'Nørrebro', lat: 55.694, lng: 12.549, home: 2.5, work: 0.6, leisure: 0.8, hotel: 0.2 },
  { cellId: 'cph-cell-vesterbro', area: 'Vesterbro', lat: 55.6672, lng: 12.5456, home: 2, work: 1, leisure: 1.2, hotel: 1.5 },
  { cellId: 'cph-cell-osterbro', area: 'Østerbro', lat: 55.6993, lng: 12.5772, home: 2.5, work: 0.8, leisure: 0.5, hotel: 0.3 },
  { cellId: 'cph-cell-frederiksberg', area: 'Frederiksberg', lat: 55.676, lng: 12.537, home: 2.5, work: 0.8, leisure: 0.6, hotel: 0.3 },
  { cellId: 'cph-cell-amagerbro', area: 'Amagerbro', lat: 55.664, lng: 12.6, home: 2, work: 0.5, leisure: 0.4, hotel: 0.2 },
  { cellId: 'cph-cell-orestad', area: 'Ørestad', lat: 55.629, lng: 12.579, home: 1, work: 2, leisure: 1, hotel: 1 },
  { cellId: 'cph-cell-valby', area: 'Valby', lat: 55.6626, lng: 12.516, home: 1.5, work: 0.8, leisure: 0.2, hotel: 0.1 },
  { cellId: 'cph-cell-christianshavn', area: 'Christianshavn', lat: 55.673, lng: 12.593, home: 0.8, work: 0.8, leisure: 1, hotel: 0.5 },
  { cellId: 'cph-cell-nordhavn', area: 'Nordhavn', lat: 55.709, lng: 12.595, home: 0.8, work: 1.5, leisure: 0.3, hotel: 0.3 },
  {
    cellId: 'cph-cell-airport',
    area: 'Copenhagen Airport, Kastrup',
    lat: 55.6295,
    lng: 12.6476,
    home: 0,
    work: 0.6,
    leisure: 0,
    hotel: 0.2,
  },
];

/** The cell an international visitor first and last appears in. */
export const AIRPORT_CELL = CELL_SITES.findIndex((c) => c.cellId === 'cph-cell-airport');
/** Domestic visitors arrive by train at København H. */
export const CENTRAL_STATION_CELL = CELL_SITES.findIndex((c) => c.cellId === 'cph-cell-vesterbro');

export interface Venue {
  venueId: string;
  name: string;
  lat: number;
  lng: number;
}

export const VENUES = {
  royalArena: { venueId: 'royal-arena', name: 'Royal Arena', lat: 55.6256, lng: 12.5749 },
  kongensNytorv: { venueId: 'kongens-nytorv', name: 'Kongens Nytorv', lat: 55.6803, lng: 12.5857 },
} as const satisfies Record<string, Venue>;

export interface WeatherStation {
  stationId: string;
  name: string;
  lat: number;
  lng: number;
}

/** Simulated weather stations (one in the city centre, one at the airport, like DMI's). */
export const WEATHER_STATIONS: readonly WeatherStation[] = [
  { stationId: 'cph-sim-weather-city', name: 'Copenhagen city', lat: 55.6761, lng: 12.5683 },
  { stationId: 'cph-sim-weather-airport', name: 'Copenhagen Airport', lat: 55.6181, lng: 12.6561 },
];

/** Country calling codes and shares of the international visitors' home countries. */
export const VISITOR_COUNTRIES: readonly { country: string; callingCode: string; share: number }[] = [
  { country: 'DE', callingCode: '49', share: 22 },
  { country: 'SE', callingCode: '46', share: 18 },
  { country: 'NO', callingCode: '47', share: 12 },
  { country: 'GB', callingCode: '44', share: 10 },
  { country: 'US', callingCode: '1', share: 10 },
  { country: 'NL', callingCode: '31', share: 6 },
  { country: 'FR', callingCode: '33', share: 5 },
  { country: 'IT', callingCode: '39', share: 5 },
  { country: 'ES', callingCode: '34', share: 4 },
  { country: 'PL', callingCode: '48', share: 4 },
  { country: 'CN', callingCode: '86', share: 4 },
];
