import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `node dist/bench/profile-summary.js DIR|FILE`: what a V8 `--cpu-prof` profile says, as text —
 * self time by function and by package (node_modules/<name>, node: internals, our code), so a
 * profile taken during `npm run bench` (BENCH_PROFILE=dir) can be read without a browser.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: node dist/bench/profile-summary.js <profile.cpuprofile | dir>\n');
  process.exit(64);
}
const files = target.endsWith('.cpuprofile')
  ? [target]
  : readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(target, f));
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    if (node.hitCount === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.startsWith('node:')
        ? 'node (internals)'
        : url.includes('/dist/')
          ? 'wattline'
          : functionName.startsWith('(')
            ? functionName
            : 'other');
    const key = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.hitCount);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.hitCount);
  }
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
  process.stdout.write(`\n${path.basename(file)}: ${total} samples\n\nby package (self time):\n`);
  for (const [name, n] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`  ${pct(n)}  ${name}\n`);
  // Inclusive time: a node's own samples and all below it, summed per function (a recursive
  // function is counted once per path through it).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<number, number>();
  const total_ = (id: number): number => {
    const known = inclusive.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const sum = node.hitCount + (node.children ?? []).reduce((acc, child) => acc + total_(child), 0);
    inclusive.set(id, sum);
    return sum;
  };
  const byFunctionTotal = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (!url.includes('/dist/') && !url.includes('node_modules/aedes')) continue;
    const key = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    byFunctionTotal.set(key, (byFunctionTotal.get(key) ?? 0) + total_(node.id));
  }
  process.stdout.write('\nour code and aedes, inclusive time:\n');
  for (const [name, n] of [...byFunctionTotal].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`  ${pct(n)}  ${name}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const [name, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`  ${pct(n)}  ${name}\n`);
}
