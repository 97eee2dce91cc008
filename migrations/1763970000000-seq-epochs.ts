import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A meter whose `seq` counter restarts (a firmware update) declares it by sending the next
 * `seqEpoch` with its readings: a reading's claim is (meter, epoch, seq), so the new run's numbers
 * count and the old run's claims stay (a resend of an old reading is still a duplicate). The
 * existing claims are epoch 0, the epoch of every reading that names none.
 */
export class SeqEpochs1763970000000 implements MigrationInterface {
  name = 'SeqEpochs1763970000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE reading_seqs ADD COLUMN seq_epoch integer NOT NULL DEFAULT 0`);
    await db.query(`ALTER TABLE reading_seqs DROP CONSTRAINT reading_seqs_pkey`);
    await db.query(`ALTER TABLE reading_seqs ADD PRIMARY KEY (meter_id, seq_epoch, seq)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM reading_seqs WHERE seq_epoch <> 0`);
    await db.query(`ALTER TABLE reading_seqs DROP CONSTRAINT reading_seqs_pkey`);
    await db.query(`ALTER TABLE reading_seqs DROP COLUMN seq_epoch`);
    await db.query(`ALTER TABLE reading_seqs ADD PRIMARY KEY (meter_id, seq)`);
  }
}
