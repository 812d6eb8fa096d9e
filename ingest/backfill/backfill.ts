// Backfill of files: runs a mapper over each file (ingest/mappers), registers the sensors it finds,
// sends the records in batches through a sink (the ingest edge directly, or a running Passage over
// HTTP), paced to a rate, and keeps a checkpoint after every acknowledged batch so an interrupted
// backfill resumes where it stopped. Re-running is harmless: record ids are deterministic.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import type { SensorInput } from '../../schemas/inputs.js';
import type { ContextKind, RawSource } from '../../shared/topics.js';
import type { IngestResult } from '../result.js';
import { plainMapper, type PlainMapperName } from './plain.js';
import { createMapper, hokurikuFacilityFromPath, mapStream, type InputFormat, type MapperName } from '../mappers/index.js';

/** Where a backfill delivers: the ingest edge in this process, or a running Passage over HTTP. */
export interface BackfillSink {
  putSensor(sensor: SensorInput): Promise<void>;
  ingest(source: RawSource, records: unknown[]): Promise<IngestResult>;
  /** A whole context document (plain JSON, Open-Meteo, DMI GeoJSON, iCalendar) of `kind`; its format is detected. */
  contextDocument(kind: ContextKind, body: string, contentType: string): Promise<IngestResult>;
  close(): Promise<void>;
}

export interface BackfillProgress {
  file: string;
  bytesRead: number;
  bytesTotal: number;
  outputs: number;
  accepted: number;
  rejected: number;
  sensors: number;
  skipped: number;
}

export interface BackfillOptions {
  files: string[];
  /** A mapper of ingest/mappers, or plain-<source> for files of plain records. */
  mapper: MapperName | PlainMapperName;
  mapperOptions: Record<string, unknown>;
  format?: InputFormat;
  /** Records per sink call. */
  batchSize: number;
  /** Records per second at most; 0: as fast as the sink takes them. */
  ratePerSecond: number;
  /** Folder of checkpoint files; null: no checkpoints (not resumable). */
  checkpointDir: string | null;
  /** Ignore existing checkpoints and start from the beginning. */
  restart: boolean;
  onProgress?: (p: BackfillProgress) => void;
  /** A few rejections per file for the report (line, field, reason). */
  onReject?: (file: string, r: { line?: number; index?: number; field: string; reason: string }) => void;
}

export interface BackfillReport {
  files: { file: string; outputs: number; accepted: number; rejected: number; sensors: number; resumedFrom: number }[];
  accepted: number;
  rejected: number;
  sensors: number;
  seconds: number;
}

/** Per-file mapper options some datasets need (the facility of a Hokuriku move/<No>.csv). */
const FILE_OPTIONS: Partial<Record<MapperName | PlainMapperName, (file: string) => Record<string, unknown>>> = {
  'hokuriku-stays': (file) => {
    const facility = hokurikuFacilityFromPath(file);
    return facility === null ? {} : { facility };
  },
};

function formatOf(file: string, given: InputFormat | undefined): InputFormat {
  if (given !== undefined) return given;
  const ext = path.extname(file).toLowerCase();
  return ext === '.ndjson' || ext === '.jsonl' ? 'ndjson' : ext === '.json' ? 'json' : 'csv';
}

interface Checkpoint {
  key: string;
  outputsDone: number;
  accepted: number;
  rejected: number;
  sensors: number;
}

/** A checkpoint is valid for the same file (path, size, mtime), mapper and options only. */
function checkpointKey(file: string, mapper: string, opts: Record<string, unknown>): string {
  const st = statSync(file);
  return createHash('sha256')
    .update(JSON.stringify([path.resolve(file), st.size, st.mtimeMs, mapper, opts]))
    .digest('hex')
    .slice(0, 24);
}

export async function backfill(sink: BackfillSink, o: BackfillOptions): Promise<BackfillReport> {
  const started = Date.now();
  const report: BackfillReport = { files: [], accepted: 0, rejected: 0, sensors: 0, seconds: 0 };
  let sentSince = 0;
  let paceStart = Date.now();
  for (const file of o.files) {
    const options = { ...(FILE_OPTIONS[o.mapper]?.(file) ?? {}), ...o.mapperOptions };
    const mapper = o.mapper.startsWith('plain-') ? plainMapper(o.mapper.slice(6) as RawSource) : createMapper(o.mapper, options);
    const key = checkpointKey(file, o.mapper, options);
    const cpFile = o.checkpointDir === null ? null : path.join(o.checkpointDir, `${key}.json`);
    const previous = cpFile !== null && !o.restart && existsSync(cpFile) ? (JSON.parse(readFileSync(cpFile, 'utf8')) as Checkpoint) : null;
    const cp: Checkpoint = previous?.key === key ? previous : { key, outputsDone: 0, accepted: 0, rejected: 0, sensors: 0 };
    const resumedFrom = cp.outputsDone;
    const progress: BackfillProgress = {
      file,
      bytesRead: 0,
      bytesTotal: statSync(file).size,
      outputs: 0,
      accepted: cp.accepted,
      rejected: cp.rejected,
      sensors: cp.sensors,
      skipped: 0,
    };
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        progress.bytesRead += chunk.length;
        done(null, chunk);
      },
    });
    const batches = new Map<RawSource, { records: unknown[]; lines: number[] }>();
    const save = (): void => {
      if (cpFile === null) return;
      mkdirSync(path.dirname(cpFile), { recursive: true });
      writeFileSync(cpFile, JSON.stringify(cp));
    };
    const flush = async (source: RawSource): Promise<void> => {
      const b = batches.get(source);
      if (b === undefined || b.records.length === 0) return;
      batches.delete(source);
      const result = await sink.ingest(source, b.records);
      progress.accepted += result.accepted;
      progress.rejected += result.rejected.length;
      for (const r of result.rejected)
        for (const e of r.errors) o.onReject?.(file, { line: b.lines[r.index], field: e.field, reason: e.reason });
      if (o.ratePerSecond > 0) {
        sentSince += b.records.length;
        const due = paceStart + (sentSince / o.ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        if (sentSince > 10 * o.ratePerSecond) {
          sentSince = 0;
          paceStart = Date.now();
        }
      }
    };
    /** Sends every pending batch, then records that the first `done` outputs are delivered. */
    const flushAll = async (done: number): Promise<void> => {
      for (const source of [...batches.keys()]) await flush(source);
      cp.outputsDone = done;
      cp.accepted = progress.accepted;
      cp.rejected = progress.rejected;
      cp.sensors = progress.sensors;
      save();
      o.onProgress?.(progress);
    };

    let line = 0;
    for await (const out of mapStream(mapper, createReadStream(file).pipe(counting), formatOf(file, o.format))) {
      progress.outputs += 1;
      if ('line' in out) line = out.line;
      // Resuming: the mapper is deterministic, so the first outputsDone outputs were delivered already.
      if (progress.outputs <= resumedFrom) {
        progress.skipped += 1;
        continue;
      }
      if (out.kind === 'sensor') {
        // Records before this sensor go first; the sensor exists before any record naming it.
        await flushAll(progress.outputs - 1);
        await sink.putSensor(out.sensor);
        progress.sensors += 1;
      } else if (out.kind === 'reject') {
        progress.rejected += 1;
        o.onReject?.(file, { line: out.line, field: out.field, reason: out.reason });
      } else {
        const b = batches.get(out.source) ?? { records: [], lines: [] };
        b.records.push(out.record);
        b.lines.push(line);
        batches.set(out.source, b);
        if (b.records.length >= o.batchSize) await flushAll(progress.outputs);
      }
    }
    await flushAll(progress.outputs);
    report.files.push({
      file,
      outputs: progress.outputs,
      accepted: progress.accepted,
      rejected: progress.rejected,
      sensors: progress.sensors,
      resumedFrom,
    });
    report.accepted += progress.accepted;
    report.rejected += progress.rejected;
    report.sensors += progress.sensors;
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}
