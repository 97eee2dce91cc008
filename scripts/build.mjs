#!/usr/bin/env node
// Compiles apps/, libs/, migrations/, bench/ and deploy/ to dist/ with SWC (decorators and their
// metadata included; type checking is `npm run typecheck`), then writes the entry points
// the contract names: dist/apps/<app>/main.js for broker, aggregator, api and wattline.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
const sources = ['apps', 'libs', 'migrations', 'bench', 'deploy'];

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
      yield full;
  }
}

const started = Date.now();
await rm(out, { recursive: true, force: true });
const files = [];
for (const dir of sources) for await (const file of walk(path.join(root, dir))) files.push(file);
await Promise.all(
  files.map(async (file) => {
    const { code, map } = await transformFile(file, {
      swcrc: true,
      configFile: path.join(root, '.swcrc'),
      jsc: { baseUrl: root },
      sourceMaps: true,
      sourceFileName: path.relative(path.dirname(path.join(out, path.relative(root, file))), file),
    });
    const target = path.join(out, path.relative(root, file)).replace(/\.ts$/, '.js');
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, `${code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    if (map) await writeFile(`${target}.map`, map);
  }),
);

// Contract entry points: node dist/apps/<app>/main.js
const entries = {
  'apps/broker/main.js': './src/main.js',
  'apps/aggregator/main.js': './src/main.js',
  'apps/api/main.js': './src/main.js',
  'apps/wattline/main.js': './src/main.js',
  'apps/wattline/migrate.js': './src/migrate.js',
  'apps/wattline/demo.js': './src/demo.js',
  'apps/wattline/simulate.js': './src/simulate.js',
};
for (const [entry, target] of Object.entries(entries)) {
  await writeFile(path.join(out, entry), `'use strict';\nrequire('source-map-support/register');\nrequire('${target}');\n`);
}
console.error(`[build] ${files.length} files compiled to dist/ in ${Date.now() - started} ms`);
