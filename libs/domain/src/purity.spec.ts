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
