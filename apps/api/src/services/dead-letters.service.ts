import { Injectable } from '@nestjs/common';
import type { Page } from '@wattline/domain';
import { DeadLettersRepository, type StoredDeadLetter } from '@wattline/persistence';
import type { DeadLettersQuery } from '../dtos/schemas';

/**
 * The dead-letter archive as operators use it: a filtered page, and a replay request the
 * aggregator carries out at its next pass (the API never produces to the stream itself).
 */
@Injectable()
export class DeadLettersService {
  constructor(private readonly letters: DeadLettersRepository) {}

  page(query: DeadLettersQuery): Promise<Page<StoredDeadLetter>> {
    const time = (v?: string) => (v === undefined ? undefined : Date.parse(v));
    return this.letters.page(
      { stream: query.stream, error: query.error, meterId: query.meterId, from: time(query.from), to: time(query.to) },
      query.limit,
      query.cursor,
    );
  }

  async requestReplay(ids: string[]): Promise<{ requested: string[]; unknown: string[] }> {
    const unique = [...new Set(ids)];
    const requested = new Set((await this.letters.requestReplay(unique)).map((r) => r.id));
    return { requested: unique.filter((id) => requested.has(id)), unknown: unique.filter((id) => !requested.has(id)) };
  }
}
