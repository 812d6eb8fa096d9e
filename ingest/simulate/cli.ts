// `passage simulate`: runs the simulated Copenhagen against a stack or a running Passage at a chosen
// rate — straight into Kafka through the ingest edge when KAFKA_BROKERS is set, else over HTTP
// (--url, default this machine's PORT). Prints records sent per source every 5 s; Ctrl-C stops.
//
//   passage simulate --rate 200 --sources wifi,telco --duration 600

import { parseArgs } from 'node:util';
import type { Config } from '../../shared/config.js';
import { badRequest } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { openRuntime } from '../../shared/runtime.js';
import { EdgeIngest } from '../edge.js';
import { DEFAULT_SEED, estimateRate, scaleForRate, SIM_SOURCES, type SimSource } from './city.js';
import { Simulator, type SimStream, type StreamStats } from './simulator.js';
import { edgeSimSink, httpSimSink, type SimSink } from './sinks.js';
import { passageTarget } from '../backfill/sinks.js';

const USAGE = `usage: passage simulate [options]
  --rate <n>         records per second, averaged over the coming day (default 50); the city is sized
                     for it, so rush hours run at about twice the rate and nights far below it
  --sources <list>   comma-separated, of ${SIM_SOURCES.join(',')} (default: all)
  --duration <s>     stop after s seconds (default: until Ctrl-C)
  --seed <n>         same seed, same city (default ${DEFAULT_SEED})
  --url <url>        a running Passage to send to (default http://127.0.0.1:$PORT unless KAFKA_BROKERS is set)
  --key <key>        its API key (default PASSAGE_ADMIN_KEY, else <data dir>/admin-key)`;

export interface SimulateIo {
  /** Where progress lines go (default stdout). */
  write?: (line: string) => void;
  /** Stops the run like Ctrl-C does (tests). */
  signal?: AbortSignal;
  /** Progress interval (ms, default 5000). */
  progressMs?: number;
}

/** Context kinds are reported together as "context". */
function bySource(stats: Record<SimStream, StreamStats>, field: keyof StreamStats): Record<SimSource, number> {
  return {
    camera: stats.camera[field],
    wifi: stats.wifi[field],
    telco: stats.telco[field],
    ticketing: stats.ticketing[field],
    context: stats.weather[field] + stats.events[field] + stats.incidents[field],
  };
}

export async function simulateCommand(
  argv: string[],
  config: Config,
  logger: Logger,
  pseudonymSecret: () => Buffer,
  io: SimulateIo = {},
): Promise<number> {
  const write = io.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      rate: { type: 'string', default: '50' },
      sources: { type: 'string', default: SIM_SOURCES.join(',') },
      duration: { type: 'string' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    write(USAGE);
    return 0;
  }
  const fail = (field: string, reason: string): never => {
    throw badRequest('invalid_simulate_option', `--${field} ${reason}`, [{ field, reason }]);
  };
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate <= 0) fail('rate', 'must be a positive number of records per second');
  const sources = values.sources
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = sources.filter((s) => !(SIM_SOURCES as readonly string[]).includes(s));
  if (sources.length === 0 || unknown.length > 0) fail('sources', `must be a comma-separated list of ${SIM_SOURCES.join(', ')}`);
  const duration = values.duration === undefined ? null : Number(values.duration);
  if (duration !== null && !(Number.isFinite(duration) && duration > 0)) fail('duration', 'must be a positive number of seconds');
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) fail('seed', 'must be an integer');

  const { sink, target } = await openSink(values.url, values.key, config, logger, pseudonymSecret);
  const simSources = sources as SimSource[];
  const estimate = estimateRate(seed, simSources, Date.now());
  const scale = scaleForRate(estimate, rate);
  const simulator = new Simulator({ sink, logger }, { seed, scale, sources: simSources, tickMs: 1000, backfillMs: 0 });
  write(
    `simulating ${simSources.join(', ')} into ${target} at about ${rate} records/s over a day (scale ${scale.toFixed(2)}, seed ${seed}); Ctrl-C stops`,
  );

  const started = Date.now();
  let previous = bySource(simulator.stats(), 'sent');
  let previousAt = started;
  const progress = (): void => {
    const stats = simulator.stats();
    const now = bySource(stats, 'sent');
    const parts = simSources.map((s) => `${s} ${now[s] - previous[s]}`);
    const delta = simSources.reduce((a, s) => a + now[s] - previous[s], 0);
    const accepted = Object.values(bySource(stats, 'accepted')).reduce((a, b) => a + b, 0);
    const rejected = Object.values(bySource(stats, 'rejected')).reduce((a, b) => a + b, 0);
    const failed = Object.values(bySource(stats, 'failed')).reduce((a, b) => a + b, 0);
    const at = Date.now();
    const secs = Math.round((at - started) / 1000);
    const perSecond = delta / Math.max(0.001, (at - previousAt) / 1000);
    previousAt = at;
    write(
      `${secs}s  sent ${parts.join(' · ')}  (${perSecond.toFixed(0)}/s)  total ${accepted} accepted, ${rejected} rejected${failed > 0 ? `, ${failed} not delivered` : ''}`,
    );
    previous = now;
  };

  let stopRun: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stopRun = resolve;
  });
  const onSignal = (): void => stopRun();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.signal?.addEventListener('abort', onSignal, { once: true });
  // This interval is what keeps the process alive while the (unref'd) simulator ticks.
  const progressTimer = setInterval(progress, io.progressMs ?? 5000);
  const durationTimer = duration === null ? null : setTimeout(onSignal, duration * 1000);
  let running = false;
  try {
    await simulator.start();
    running = true;
    await stopped;
  } finally {
    clearInterval(progressTimer);
    if (durationTimer !== null) clearTimeout(durationTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.signal?.removeEventListener('abort', onSignal);
    await simulator.stop();
    // The last stretch since the previous tick (a run shorter than a tick would otherwise send
    // nothing), so the run covers the time it was given.
    if (running) await simulator.tick();
    await sink.close();
  }
  progress();
  const stats = simulator.stats();
  const sent = bySource(stats, 'sent');
  const rejected = Object.values(bySource(stats, 'rejected')).reduce((a, b) => a + b, 0);
  const failed = Object.values(bySource(stats, 'failed')).reduce((a, b) => a + b, 0);
  write(`simulate done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${simSources.map((s) => `${s} ${sent[s]}`).join(', ')}`);
  for (const [reason, n] of simulator.topReasons()) write(`  rejected ${n}× ${reason}`);
  return rejected + failed > 0 ? 1 : 0;
}

async function openSink(
  url: string | undefined,
  key: string | undefined,
  config: Config,
  logger: Logger,
  pseudonymSecret: () => Buffer,
): Promise<{ sink: SimSink; target: string }> {
  if (url === undefined && config.kafka !== null) {
    const runtime = await openRuntime(config, logger);
    const edge = EdgeIngest.forRuntime(runtime, pseudonymSecret());
    return {
      sink: edgeSimSink({ edge, sensors: runtime.sensors, bus: runtime.bus, codec: runtime.codec, topics: runtime.topics }, () =>
        runtime.close(),
      ),
      target: `Kafka (${config.kafka.brokers.join(',')})`,
    };
  }
  const { baseUrl, apiKey } = passageTarget(url, key, config, 'invalid_simulate_option');
  return { sink: httpSimSink(baseUrl, apiKey), target: baseUrl };
}
