import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the bench reads of a process from /proc (Linux): CPU time (all threads) and resident
 * memory. Broker CPU per message and per CONNECT come from here, not from the generator,
 * so they do not depend on how fast the generator is.
 */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** A process and its descendants (a broker cluster's primary and its workers). */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [pid];
  }
}

/** A reading summed over a process and its descendants (one that has gone counts nothing). */
function overTree(pid: number, read: (pid: number) => number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + read(p);
    } catch {
      return sum;
    }
  }, 0);
}

/** CPU seconds of a process and its descendants. */
export const treeCpuSeconds = (pid: number) => overTree(pid, cpuSeconds);
export const treeRssBytes = (pid: number) => overTree(pid, rssBytes);

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Every thread of `pid` onto `cores` (taskset -a): the broker on one core, the generator on the other. */
export function pin(pid: number, cores: string): void {
  try {
    for (const p of processTree(pid)) execFileSync('taskset', ['-a', '-cp', cores, String(p)], { stdio: 'ignore' });
  } catch {
    // No taskset (or not allowed): the run goes on unpinned, and says so in its results.
    pinningFailed = true;
  }
}
export let pinningFailed = false;

export function pidOf(name: string): number | null {
  try {
    const out = execFileSync('pgrep', ['-x', name]).toString().trim().split('\n')[0];
    return out ? Number(out) : null;
  } catch {
    return null;
  }
}

/** CPU used by each process while `work` runs. */
export async function measureCpu<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: Record<string, number> }> {
  // Whole process trees: a broker cluster's workers count as the broker.
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, treeCpuSeconds(pid)]));
  const result = await work();
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round((treeCpuSeconds(pid) - before[k]) * 1000) / 1000]));
  return { result, cpu };
}
