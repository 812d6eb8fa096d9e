// What the privacy release layer (query-api/privacy/) shares with the configuration and with the
// processors that make the aggregates it releases: the datasets that have release settings, the
// shape of those settings, and the bound on one contribution to a duration sum.

/** Datasets with their own release settings (PASSAGE_PRIVACY_DATASETS): /v1/footfall and /v1/flows. */
export const PRIVACY_DATASETS = ['footfall', 'flows'] as const;
export type PrivacyDataset = (typeof PRIVACY_DATASETS)[number];

export interface ReleaseSettings {
  /** A unit whose noisy value (rounded) is below k is released as suppressed. At least 1. */
  k: number;
  /** ε of one release unit: the Laplace scale is the unit's sensitivity / ε. */
  epsilon: number;
  /** `off`: no noise (testing, or a trusted deployment); the threshold k still applies. */
  noise: 'on' | 'off';
}

export const DEFAULT_RELEASE: ReleaseSettings = { k: 10, epsilon: 1, noise: 'on' };

/**
 * The most one Wi-Fi visit's dwell or one trip's duration contributes to a summed duration: longer
 * ones are clamped to it when they are aggregated (processors/core/rows.ts), so it is the
 * sensitivity of a dwell or duration sum, and the largest mean the release layer gives out.
 */
export const DURATION_CAP_MS = 4 * 3_600_000;
