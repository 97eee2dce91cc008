import { useTestDatabase } from '@wattline/testing';
import { ControlLogRepository } from './control-log.repository';
import { Database } from './sql';

/** The control log on real PostgreSQL: read in commit order from where a reader left off, started inside a window, pruned. */
describe('control log on real PostgreSQL', () => {
  const db = useTestDatabase();

  it('hands out entries in order after a seq, starts a new reader at the window it asks for, and prunes what is old', async () => {
    const log = new ControlLogRepository(db.dataSource);
    const sql = new Database(db.dataSource);
    const t0 = Date.UTC(2026, 11, 3, 12);
    await sql.transaction((tx) => log.append('credential-revoked', ['m1'], t0, tx));
    await sql.transaction((tx) => log.append('credential-changed', ['m2', 'disp_2'], t0 + 60_000, tx));
    // Not committed: not in the log.
    await sql
      .transaction(async (tx) => {
        await log.append('credential-revoked', ['rolled-back'], t0 + 90_000, tx);
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    const all = await log.after(0, 10);
    expect(all.map((e) => [e.type, e.username, e.at])).toEqual([
      ['credential-revoked', 'm1', t0],
      ['credential-changed', 'm2', t0 + 60_000],
      ['credential-changed', 'disp_2', t0 + 60_000],
    ]);
    expect((await log.after(all[0].seq, 10)).map((e) => e.username)).toEqual(['m2', 'disp_2']);
    expect(await log.after(all[2].seq, 10)).toEqual([]);
    // A reader starting with a 30 s window at t0 + 70 s reads the second change on; one with no entry in its window, nothing.
    expect((await log.after(await log.startAfter(t0 + 40_000), 10)).map((e) => e.username)).toEqual(['m2', 'disp_2']);
    expect(await log.after(await log.startAfter(t0 + 120_000), 10)).toEqual([]);
    await log.prune(t0 + 30_000);
    expect((await log.after(0, 10)).map((e) => e.username)).toEqual(['m2', 'disp_2']);
  });
});
