import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The domain library is pure TypeScript: no framework or IO imports, no clock reads.
const FORBIDDEN = /from '(@nestjs\/[^']+|typeorm|kafkajs|aedes|bullmq|pg|ioredis|mqtt|node:fs|node:net|fs|net)'/;

describe('libs/domain purity', () => {
  const files = readdirSync(__dirname, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s imports no framework or IO module and never reads the clock', (file) => {
    const source = readFileSync(path.join(__dirname, file), 'utf8');
    expect(source).not.toMatch(FORBIDDEN);
    expect(source).not.toMatch(/Date\.now\(|new Date\(\)/);
  });
});

describe('libs/domain imports', () => {
  /** Each source file's relative imports (type imports included: a cycle of types is still one). */
  const graph = new Map<string, string[]>();
  const files = readdirSync(__dirname, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  for (const file of files) {
    const source = readFileSync(path.join(__dirname, file), 'utf8');
    const targets = [...source.matchAll(/from '(\.{1,2}\/[^']*|\.)'/g)].map((m) => {
      const resolved = path.normalize(path.join(path.dirname(file), m[1]));
      return files.includes(`${resolved}.ts`) ? `${resolved}.ts` : path.join(resolved, 'index.ts');
    });
    graph.set(file, targets);
  }

  /** A cycle through `from`, if there is one, as the files along it. */
  function cycleFrom(from: string): string[] | null {
    const stack: string[] = [];
    const done = new Set<string>();
    const visit = (file: string): string[] | null => {
      if (stack.includes(file)) return [...stack.slice(stack.indexOf(file)), file];
      if (done.has(file)) return null;
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        const found = visit(next);
        if (found) return found;
      }
      stack.pop();
      done.add(file);
      return null;
    };
    return visit(from);
  }

  it('resolves every relative import to a source file', () => {
    for (const [file, targets] of graph) for (const t of targets) expect([file, t, graph.has(t)]).toEqual([file, t, true]);
  });

  it('has no import cycle (billing, prices and the catalogue included)', () => {
    expect(files.map(cycleFrom).filter(Boolean)).toEqual([]);
  });

  it('would find one: the search reports a cycle it is given', () => {
    graph.set('a.ts', ['b.ts']);
    graph.set('b.ts', ['a.ts']);
    expect(cycleFrom('a.ts')).toEqual(['a.ts', 'b.ts', 'a.ts']);
    graph.delete('a.ts');
    graph.delete('b.ts');
  });
});
