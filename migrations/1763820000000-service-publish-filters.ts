import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Service credentials may be granted publish filters (admin only), outside the platform's own topics. */
export class ServicePublishFilters1763820000000 implements MigrationInterface {
  name = 'ServicePublishFilters1763820000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE client_credentials ADD COLUMN publish_filters text[] NOT NULL DEFAULT '{}'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE client_credentials DROP COLUMN publish_filters`);
  }
}
