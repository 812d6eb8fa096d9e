// Who used the machine's CPUs during a measurement: this process, the Kafka broker, the schema
// registry and everything else, from /proc/<pid>/stat (Linux). Lets a result say whether it was
// bound by its own work, by Kafka beside it, or by other load on the machine.

import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export type CpuGroup = 'this process' | 'kafka broker' | 'schema registry' | 'other processes';

export interface CpuSnapshot {
  atMs: number;
  ticks: Map<number, { group: CpuGroup; ticks: number }>;
}

function groupOf(pid: number, cmdline: string): CpuGroup {
  if (pid === process.pid) return 'this process';
  if (cmdline.includes('kafka.Kafka')) return 'kafka broker';
  if (cmdline.includes('apicurio') || cmdline.includes('schema-registry')) return 'schema registry';
  return 'other processes';
}

export function cpuSnapshot(): CpuSnapshot {
  const ticks = new Map<number, { group: CpuGroup; ticks: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // Not Linux: no breakdown.
  }
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const t = Number(f[11]) + Number(f[12]); // utime + stime
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      ticks.set(Number(p), { group: groupOf(Number(p), cmdline), ticks: t });
    } catch {
      // The process ended meanwhile.
    }
  }
  return { atMs: performance.now(), ticks };
}

/** Cores used per group between two snapshots (1.0 = one core busy the whole time); processes started in between count from zero. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Record<CpuGroup, number> & { machineCores: number } {
  const seconds = (b.atMs - a.atMs) / 1000;
  const out: Record<CpuGroup, number> = { 'this process': 0, 'kafka broker': 0, 'schema registry': 0, 'other processes': 0 };
  for (const [pid, now] of b.ticks) {
    const before = a.ticks.get(pid)?.ticks ?? 0;
    out[now.group] += Math.max(0, now.ticks - before) / TICKS_PER_SECOND / seconds;
  }
  for (const k of Object.keys(out) as CpuGroup[]) out[k] = Math.round(out[k] * 100) / 100;
  return { ...out, machineCores: os.cpus().length };
}
