// Versioned SQL migrations, applied in order at start-up on chDB and ClickHouse alike. Idempotent:
// applied versions are recorded with a checksum (a changed, already-applied file is an error) and
// every statement is IF NOT EXISTS, so two services starting at once are harmless.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { assetPath } from '../assets.js';
import { PassageError } from '../errors.js';
import { clickhouseTime } from '../time.js';
import type { Store } from './types.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

export function loadMigrations(dir = assetPath('shared', 'store', 'migrations')): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      const statements = text
        .split(/;\s*(?:\n|$)/)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter((s) => s.length > 0);
      return {
        version: Number(file.slice(0, 4)),
        name: file.slice(5, -4),
        statements,
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

/** Creates the database if needed and applies every migration not yet recorded. Returns the versions applied now. */
export async function migrate(store: Store, migrations = loadMigrations()): Promise<number[]> {
  await store.command('CREATE DATABASE IF NOT EXISTS {db:Identifier}');
  await store.command(
    `CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_migrations
     (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
     ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
  );
  const done = new Map(
    (
      await store.query<{ version: number; checksum: string }>(
        'SELECT version, any(checksum) AS checksum FROM {db:Identifier}.schema_migrations GROUP BY version',
      )
    ).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: number[] = [];
  for (const m of migrations) {
    const previous = done.get(m.version);
    if (previous !== undefined) {
      if (previous !== m.checksum) {
        throw new PassageError(
          'migration_changed',
          `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    for (const sql of m.statements) await store.command(sql);
    await store.insert('schema_migrations', [
      { version: m.version, name: m.name, checksum: m.checksum, applied_at: clickhouseTime(Date.now()) },
    ]);
    applied.push(m.version);
  }
  return applied;
}
