// A CPU profile of a piece of the benchmark (V8's sampling profiler through node:inspector),
// summarised as self time per area (the module the time is spent in) and per function, so a
// result can say where its time goes without opening a .cpuprofile.

import { Session } from 'node:inspector/promises';

export interface ProfileEntry {
  what: string;
  selfPct: number;
}

export interface ProfileSummary {
  byArea: ProfileEntry[];
  topFunctions: ProfileEntry[];
  /** Share of samples in which the thread was idle (waiting on I/O or other threads). */
  idlePct: number;
}

/** Runs `run` under the profiler, sampling every `intervalUs` microseconds. */
export async function profiled(intervalUs: number, run: () => Promise<void>): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    await run();
    const { profile } = await session.post('Profiler.stop');
    let busy = 0;
    let idle = 0;
    const areas = new Map<string, number>();
    const fns = new Map<string, number>();
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        idle += hits;
        continue;
      }
      if (functionName === '(root)') continue;
      busy += hits;
      const area = areaOf(functionName, url);
      areas.set(area, (areas.get(area) ?? 0) + hits);
      const file = url.replace(/^.*\/(node_modules\/(@[^/]+\/)?[^/]+|processors|shared|schemas|ingest)\//, '$1/');
      const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
      fns.set(key, (fns.get(key) ?? 0) + hits);
    }
    const top = (m: Map<string, number>, k: number): ProfileEntry[] =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([what, hits]) => ({ what, selfPct: Math.round((1000 * hits) / busy) / 10 }));
    return { byArea: top(areas, 14), topFunctions: top(fns, 15), idlePct: Math.round((1000 * idle) / Math.max(1, idle + busy)) / 10 };
  } finally {
    await session.post('Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

function areaOf(functionName: string, url: string): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8/native outside JS (program)';
  if (url.includes('node_modules/h3-js')) return 'h3-js (latLngToCell)';
  if (url.includes('node_modules/avsc')) return 'avsc (Avro decode)';
  if (url.includes('node_modules/@kafkajs/confluent-schema-registry')) return 'confluent-schema-registry (decode)';
  if (url.includes('node_modules/kafkajs')) return 'kafkajs (fetch, record batches, commits)';
  if (url.includes('node_modules/prom-client')) return 'prom-client';
  if (url.includes('node_modules/chdb')) return 'chdb (JS side)';
  if (url.includes('node_modules/pino')) return 'pino';
  if (url.includes('processors/windows/spread')) return 'spreadCount';
  if (url.includes('processors/footfall/aggregate')) return 'CountAggregate.add (keys, Map, Set)';
  if (url.includes('processors/footfall/processor')) return 'CountOperator (footfall operator)';
  if (url.includes('processors/core/processor')) return 'StreamProcessor (batch, dedup, write)';
  if (url.includes('processors/core/locate')) return 'locate / baseCell cache';
  if (url.includes('processors/windows/tracker')) return 'WindowTracker';
  if (url.includes('processors/raw/decode') || url.includes('schemas/records')) return 'decodeRaw checks';
  if (url.includes('processors/commit-meta')) return 'commit metadata';
  if (url.includes('shared/registry')) return 'codec wrapper (unframe, promise)';
  if (url.includes('shared/h3') || url.includes('footfall/steps')) return 'locate / cellToUInt64 (BigInt)';
  if (url.includes('shared/store')) return 'store (JSONEachRow build/parse)';
  if (url.includes('shared/bus')) return 'KafkaBus (message mapping)';
  if (url.includes('shared/retry')) return 'withRetry';
  if (url.includes('processors/bench')) return 'benchmark code';
  if (url === '' || url.startsWith('node:')) return `node/runtime: ${functionName || 'anonymous'}`;
  return url.replace(/^.*\//, '');
}
