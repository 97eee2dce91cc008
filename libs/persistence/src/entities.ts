import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'regions' })
export class RegionEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') timezone: string;
  @Column('jsonb') pricing: unknown;
  @Column('text', { name: 'default_tariff' }) defaultTariff: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity({ name: 'meters' })
export class MeterEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'region_id' }) regionId: string;
  @Column('text') kind: 'meter' | 'inverter';
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('boolean') online: boolean;
  @Column('timestamptz', { name: 'status_since', nullable: true }) statusSince: Date | null;
  @Column('timestamptz', { name: 'last_reading_at', nullable: true }) lastReadingAt: Date | null;
  @Column('text', { nullable: true }) cohort: string | null;
  @Column('text', { name: 'household_id', nullable: true }) householdId: string | null;
  @Column('text', { nullable: true }) tariff: string | null;
}

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') role: 'admin' | 'analyst';
  @Column('text', { name: 'key_hash' }) keyHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  /** The regions an analyst key may read (null: every region). */
  @Column('text', { array: true, nullable: true }) regions: string[] | null;
}

export const ENTITIES = [RegionEntity, MeterEntity, ApiKeyEntity];
