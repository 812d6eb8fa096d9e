// Prometheus metrics shared by every service: the registry, default process metrics, and helpers
// to declare counters/histograms with Passage's naming (`passage_` prefix, unit suffixes).
// Metrics are declared at the top of the module that updates them.

import client from 'prom-client';

export const registry = new client.Registry();
registry.setDefaultLabels({ app: 'passage' });
client.collectDefaultMetrics({ register: registry, prefix: 'passage_' });

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
  return new client.Counter({ name: `passage_${name}`, help, labelNames, registers: [registry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): client.Gauge<L> {
  return new client.Gauge({ name: `passage_${name}`, help, labelNames, registers: [registry] });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets: number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): client.Histogram<L> {
  return new client.Histogram({ name: `passage_${name}`, help, labelNames, buckets, registers: [registry] });
}
