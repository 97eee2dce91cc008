import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * No network call (Kafka, Redis, MQTT) runs inside a database transaction. Checked on the
 * source: transactions are opened only by repositories (libs/persistence), and the body of
 * every transaction does nothing but run SQL on its own transaction (`tx.query`) — it has no
 * other await, no callback parameter to call, and no import of a network client.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'node_modules' ? [] : sources(file);
    return /\.ts$/.test(name) && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(name) ? [file] : [];
  });
}

/** The text of the callback passed to each `.transaction(`, found by matching braces. */
function transactionBodies(text: string): string[] {
  const bodies: string[] = [];
  for (let at = text.indexOf('.transaction('); at !== -1; at = text.indexOf('.transaction(', at + 1)) {
    const open = text.indexOf('{', at);
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        bodies.push(text.slice(open + 1, i));
        break;
      }
    }
  }
  return bodies;
}

describe('database transactions', () => {
  const files = [...sources(path.join(ROOT, 'apps')), ...sources(path.join(ROOT, 'libs'))];
  const withTransactions = files.filter((f) => /\.transaction\(|startTransaction\(/.test(readFileSync(f, 'utf8')));

  it('are opened by repositories only', () => {
    expect(withTransactions.length).toBeGreaterThan(0);
    for (const file of withTransactions) expect(path.relative(ROOT, file)).toMatch(/^libs\/persistence\/src\/[\w-]+\.repository\.ts$/);
    expect(files.filter((f) => /startTransaction\(/.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('run nothing but SQL on their own transaction', () => {
    for (const file of withTransactions) {
      const text = readFileSync(file, 'utf8');
      expect([file, /from '(kafkajs|ioredis|bullmq|mqtt|aedes)'|@wattline\/stream/.test(text)]).toEqual([file, false]);
      const bodies = transactionBodies(text);
      expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) {
        const awaited = [...body.matchAll(/await\s+([\w.]+)\(/g)].map((m) => m[1]);
        expect(awaited.length).toBeGreaterThan(0);
        expect([file, awaited.filter((call) => call !== 'tx.query')]).toEqual([file, []]);
      }
    }
  });
});
