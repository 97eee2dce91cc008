import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from './config';

// The README's configuration table is the operators' reference: it must name every variable.
describe('README configuration table', () => {
  const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  it.each(Object.keys(CONFIG_VARIABLES))('documents %s', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});
