// The datasets Passage publishes: the names grants, metering, the catalog and the privacy settings
// use. One dataset per kind of release unit, not per source: `footfall` holds every source's
// per-cell metrics (sources are told apart by the `source` parameter, never summed), `flows` the
// origin→destination trips. Its history and live routes read the same dataset under the same grant.

export const DATASETS = {
  footfall: {
    title: 'Footfall',
    description:
      'People per H3 cell and time bucket, by source: camera and ticketing footfall/entries/exits, Wi-Fi unique visitors and dwell, telco presence.',
    routes: ['/v1/footfall', '/v1/live/footfall'],
  },
  flows: {
    title: 'Flows',
    description: 'Origin→destination trips per H3 cell pair and time bucket (ticketing journeys, telco movements), with mean duration.',
    routes: ['/v1/flows', '/v1/live/flows'],
  },
} as const;

export type Dataset = keyof typeof DATASETS;

export const DATASET_NAMES = Object.keys(DATASETS) as Dataset[];

export function isDataset(name: string): name is Dataset {
  return Object.hasOwn(DATASETS, name);
}
