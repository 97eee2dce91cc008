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

/** The block that starts at the first `{` after `from`, found by matching braces. */
function blockAfter(text: string, from: number): string {
  const open = text.indexOf('{', from);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  return '';
}

/** The text of the callback passed to each `.transaction(`. */
function transactionBodies(text: string): string[] {
  const bodies: string[] = [];
  for (let at = text.indexOf('.transaction('); at !== -1; at = text.indexOf('.transaction(', at + 1)) bodies.push(blockAfter(text, at));
  return bodies;
}

/**
 * What a transaction body awaits, other than SQL on the transaction: a helper of the same
 * class that is handed the transaction (`this.helper(tx, …)`) counts as SQL when its own body
 * awaits nothing but `tx.query`.
 */
function nonSqlAwaits(text: string, body: string): string[] {
  return [...body.matchAll(/await\s+([\w.]+)\((tx\b)?/g)].flatMap((m) => {
    if (m[1] === 'tx.query') return [];
    const helper = /^this\.(\w+)$/.exec(m[1]);
    if (helper && m[2]) {
      // The method's body: the block after its signature's `): Promise<…> {`.
      const signature = new RegExp(`private async ${helper[1]}\\([\\s\\S]*?\\)\\s*:\\s*Promise<[^\\n]*\\{\\s*\\n`).exec(text);
      if (signature) return nonSqlAwaits(text, blockAfter(text, signature.index + signature[0].lastIndexOf('{')));
    }
    return [m[1]];
  });
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
        expect(body).toMatch(/await\s+tx\.query\(/);
        expect([file, nonSqlAwaits(text, body)]).toEqual([file, []]);
      }
    }
  });
});
