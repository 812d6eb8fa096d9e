// `passage backfill`: imports files through a mapper, with a progress bar, a rate limit,
// checkpoints (resume after an interruption) and a final report. Delivers into Kafka directly when
// KAFKA_BROKERS is set, else to a running Passage over HTTP (--url, default this machine's PORT).
//
//   passage backfill --mapper melbourne-hourly --options '{"sensors":"…/sensor_locations.csv"}' hourly_counts.csv
//   passage backfill --source camera counts.ndjson            (plain records, NDJSON or JSON)

import cliProgress from 'cli-progress';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../shared/config.js';
import { badRequest } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { openRuntime } from '../../shared/runtime.js';
import { CONTEXT_KINDS, RAW_SOURCES, type ContextKind, type RawSource } from '../../shared/topics.js';
import { EdgeIngest } from '../edge.js';
import { INPUT_FORMATS, isMapperName, MAPPER_NAMES, type InputFormat } from '../mappers/index.js';
import { backfill, type BackfillProgress, type BackfillSink } from './backfill.js';
import { edgeSink, httpSink, passageTarget } from './sinks.js';

const USAGE = `usage: passage backfill (--mapper <name> | --source <source> | --context <kind>) [options] <file>...
  --mapper <name>      one of: ${MAPPER_NAMES.join(', ')}
  --source <source>    plain records of ${RAW_SOURCES.join('|')} (NDJSON or a JSON array)
  --context <kind>     context documents of ${CONTEXT_KINDS.join('|')}: plain JSON, Open-Meteo, DMI GeoJSON or .ics
  --options <json>     mapper options, e.g. '{"zone":"Europe/Copenhagen"}'
  --format <f>         csv | ndjson | json (default: from the file extension)
  --rate <n>           at most n records per second (default: unlimited)
  --batch <n>          records per request (default 1000)
  --url <url>          a running Passage to send to (default http://127.0.0.1:$PORT unless KAFKA_BROKERS is set)
  --key <key>          its API key (default PASSAGE_ADMIN_KEY, else <data dir>/admin-key)
  --restart            ignore checkpoints and start each file from the beginning
  --no-progress        no progress bar`;

export async function backfillCommand(argv: string[], config: Config, logger: Logger, pseudonymSecret: () => Buffer): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mapper: { type: 'string' },
      source: { type: 'string' },
      context: { type: 'string' },
      options: { type: 'string', default: '{}' },
      format: { type: 'string' },
      rate: { type: 'string', default: '0' },
      batch: { type: 'string', default: '1000' },
      url: { type: 'string' },
      key: { type: 'string' },
      restart: { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const modes = [values.mapper, values.source, values.context].filter((v) => v !== undefined).length;
  if (values.help || positionals.length === 0 || modes !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const fail = (field: string, reason: string): never => {
    throw badRequest('invalid_backfill_option', `--${field} ${reason}`, [{ field, reason }]);
  };
  if (values.mapper !== undefined && !isMapperName(values.mapper)) fail('mapper', `must be one of ${MAPPER_NAMES.join(', ')}`);
  if (values.source !== undefined && !(RAW_SOURCES as readonly string[]).includes(values.source))
    fail('source', `must be one of ${RAW_SOURCES.join(', ')}`);
  if (values.format !== undefined && !(INPUT_FORMATS as readonly string[]).includes(values.format))
    fail('format', 'must be csv, ndjson or json');
  let mapperOptions: Record<string, unknown> = {};
  try {
    mapperOptions = JSON.parse(values.options) as Record<string, unknown>;
  } catch {
    fail('options', 'must be a JSON object');
  }
  const rate = Number(values.rate);
  const batch = Number(values.batch);
  if (!Number.isFinite(rate) || rate < 0) fail('rate', 'must be a non-negative number of records per second');
  if (!Number.isInteger(batch) || batch < 1 || batch > config.ingest.maxRecordsPerRequest)
    fail('batch', `must be an integer from 1 to ${config.ingest.maxRecordsPerRequest}`);
  for (const f of positionals) if (!existsSync(f)) fail('file', `${f} does not exist`);

  if (values.context !== undefined && !(CONTEXT_KINDS as readonly string[]).includes(values.context))
    fail('context', `must be one of ${CONTEXT_KINDS.join(', ')}`);

  const sink = await openSink(values.url, values.key, config, logger, pseudonymSecret);
  if (values.context !== undefined) {
    try {
      return await contextFiles(sink, values.context as ContextKind, positionals);
    } finally {
      await sink.close();
    }
  }
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{file} |{bar}| {percentage}% | {mb}/{totalMb} MB | {rps} rec/s | accepted {accepted} | rejected {rejected} | sensors {sensors}',
      noTTYOutput: !values['no-progress'],
      notTTYSchedule: 5000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  const started = Date.now();
  const onProgress = (p: BackfillProgress): void => {
    if (values['no-progress']) return;
    const payload = {
      file: path.basename(p.file),
      mb: (p.bytesRead / 1e6).toFixed(1),
      totalMb: (p.bytesTotal / 1e6).toFixed(1),
      rps: Math.round((p.accepted + p.rejected) / Math.max(0.001, (Date.now() - started) / 1000)),
      accepted: p.accepted,
      rejected: p.rejected,
      sensors: p.sensors,
    };
    if (current !== p.file) {
      if (current !== '') bar.stop();
      bar.start(p.bytesTotal, p.bytesRead, payload);
      current = p.file;
    } else bar.update(p.bytesRead, payload);
  };
  const rejects = new Map<string, number>();
  try {
    const report = await backfill(sink, {
      files: positionals,
      mapper: values.mapper !== undefined && isMapperName(values.mapper) ? values.mapper : `plain-${values.source as RawSource}`,
      mapperOptions,
      ...(values.format === undefined ? {} : { format: values.format as InputFormat }),
      batchSize: batch,
      ratePerSecond: rate,
      checkpointDir: path.join(config.dataDir, 'backfill'),
      restart: values.restart,
      onProgress,
      onReject: (_file, r) => rejects.set(`${r.field}: ${r.reason}`, (rejects.get(`${r.field}: ${r.reason}`) ?? 0) + 1),
    });
    if (current !== '') bar.stop();
    for (const f of report.files) {
      process.stdout.write(
        `${f.file}: ${f.accepted} accepted, ${f.rejected} rejected, ${f.sensors} sensors${f.resumedFrom > 0 ? ` (resumed after ${f.resumedFrom} outputs)` : ''}\n`,
      );
    }
    const top = [...rejects].sort((a, b) => b[1] - a[1]).slice(0, 5);
    for (const [reason, n] of top) process.stdout.write(`  rejected ${n}× ${reason}\n`);
    process.stdout.write(
      `backfill done in ${report.seconds.toFixed(1)} s: ${report.accepted} accepted, ${report.rejected} rejected, ${report.sensors} sensors\n`,
    );
    return 0;
  } finally {
    await sink.close();
  }
}

async function openSink(
  url: string | undefined,
  key: string | undefined,
  config: Config,
  logger: Logger,
  pseudonymSecret: () => Buffer,
): Promise<BackfillSink> {
  if (url === undefined && config.kafka !== null) {
    const runtime = await openRuntime(config, logger);
    const edge = EdgeIngest.forRuntime(runtime, pseudonymSecret());
    return edgeSink(edge, runtime.sensors, () => runtime.close(), runtime);
  }
  const { baseUrl, apiKey } = passageTarget(url, key, config, 'invalid_backfill_option');
  return httpSink(baseUrl, apiKey);
}

/** Context documents are whole files (a calendar, an API response), sent one at a time. */
async function contextFiles(sink: BackfillSink, kind: ContextKind, files: string[]): Promise<number> {
  let failed = 0;
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    const result = await sink.contextDocument(kind, readFileSync(file, 'utf8'), ext === '.ics' ? 'text/calendar' : 'application/json');
    process.stdout.write(`${file}: ${result.accepted} ${kind} records accepted, ${result.rejected.length} rejected\n`);
    for (const r of result.rejected.slice(0, 5)) process.stdout.write(`  #${r.index}: ${r.error}\n`);
    if (result.accepted === 0) failed += 1;
  }
  return failed > 0 ? 1 : 0;
}
