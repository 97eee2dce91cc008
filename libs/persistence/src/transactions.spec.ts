import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * No network call (Kafka, Redis, MQTT) runs inside a database transaction. Checked on the
 * source: a transaction is opened by a repository on its own tables (`dataSource.transaction`)
 * or by a service over several table families (`Database.transaction`, sql.ts), and the body of
 * every one does nothing but run SQL on its own transaction — `tx.query`, a repository method
 * handed `tx`, or a helper of the same class handed `tx` that does the same — in a file that
 * imports no network client.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The primitive itself: it hands the transaction to the work it is given. */
const PRIMITIVE = 'libs/persistence/src/sql.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === 'node_modules' ? [] : sources(file);
    return /\.ts$/.test(name) && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(name) ? [file] : [];
  });
}

/** The text between the bracket at `open` and its match. */
function enclosed(text: string, open: number, brackets = '{}'): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === brackets[0]) depth++;
    else if (text[i] === brackets[1] && --depth === 0) return text.slice(open + 1, i);
  }
  return '';
}

/** The text of the callback passed to each `.transaction(`. */
function transactionBodies(text: string): string[] {
  const bodies: string[] = [];
  for (let at = text.indexOf('.transaction('); at !== -1; at = text.indexOf('.transaction(', at + 1))
    bodies.push(enclosed(text, text.indexOf('{', at)));
  return bodies;
}

/** Fields of the class that are repositories (`private readonly name: SomethingRepository`). */
function repositoryFields(text: string): Set<string> {
  return new Set([...text.matchAll(/private readonly (\w+): \w+Repository\b/g)].map((m) => m[1]));
}

/**
 * What a transaction body awaits other than SQL on the transaction: each `await callee(args)`
 * is SQL when the callee is `tx.query`, a repository field's method given `tx`, or a private
 * helper of the class given `tx` whose own body awaits nothing else.
 */
function nonSqlAwaits(text: string, body: string): string[] {
  const repositories = repositoryFields(text);
  return [...body.matchAll(/await\s+([\w.]+)\(/g)].flatMap((m) => {
    const callee = m[1];
    const args = enclosed(body, m.index + m[0].length - 1, '()');
    const givenTx = /(^|[\s,(])tx\s*(,|$)/.test(args.trim()) || /\btx\s*$/.test(args.trim());
    if (callee === 'tx.query') return [];
    const repository = /^this\.(\w+)\.\w+$/.exec(callee);
    if (repository && repositories.has(repository[1]) && givenTx) return [];
    const helper = /^this\.(\w+)$/.exec(callee);
    if (helper && givenTx) {
      const signature = new RegExp(`private async ${helper[1]}\\([\\s\\S]*?\\)\\s*:\\s*Promise<[^\\n]*\\{\\s*\\n`).exec(text);
      if (signature) return nonSqlAwaits(text, enclosed(text, signature.index + signature[0].lastIndexOf('{')));
    }
    return [callee];
  });
}

describe('database transactions', () => {
  const files = [...sources(path.join(ROOT, 'apps')), ...sources(path.join(ROOT, 'libs'))].filter(
    (f) => path.relative(ROOT, f) !== PRIMITIVE,
  );
  const withTransactions = files.filter((f) => /\.transaction\(|startTransaction\(/.test(readFileSync(f, 'utf8')));

  it('are opened by a repository on its own tables, or by a service through Database', () => {
    expect(withTransactions.length).toBeGreaterThan(0);
    for (const file of withTransactions) {
      const text = readFileSync(file, 'utf8');
      const relative = path.relative(ROOT, file);
      if (/^libs\/persistence\/src\/[\w-]+\.repository\.ts$/.test(relative))
        expect([relative, /this\.dataSource\.transaction\(/.test(text)]).toEqual([relative, true]);
      else
        expect([relative, /private readonly (\w+): Database\b/.test(text) && /this\.\w+\.transaction\(/.test(text)]).toEqual([
          relative,
          true,
        ]);
    }
    expect(files.filter((f) => /startTransaction\(/.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('run nothing but SQL on their own transaction', () => {
    for (const file of withTransactions) {
      const text = readFileSync(file, 'utf8');
      expect([file, /from '(kafkajs|ioredis|bullmq|mqtt|aedes)'|@wattline\/stream/.test(text)]).toEqual([file, false]);
      const bodies = transactionBodies(text);
      expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) {
        expect(body).toMatch(/await\s+(tx\.query|this\.\w+\.\w+)\(/);
        expect([file, nonSqlAwaits(text, body)]).toEqual([file, []]);
      }
    }
  });

  it('would catch a network call: the check itself refuses a body that publishes', () => {
    const text = `class S {\n  constructor(private readonly db: Database, private readonly tariffs: TariffsRepository) {}\n}`;
    expect(nonSqlAwaits(text, `await this.tariffs.insertNew(prices, tx); await this.stream.publish('tariffs', []);`)).toEqual([
      'this.stream.publish',
    ]);
    expect(nonSqlAwaits(text, `await this.tariffs.insertNew(prices);`)).toEqual(['this.tariffs.insertNew']);
  });
});
