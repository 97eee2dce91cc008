import { Injectable, type PipeTransform } from '@nestjs/common';
import { ID_PATTERN } from '@wattline/contracts';
import { DomainError } from '@wattline/domain';

/** A path id (meter, region): the contract's id grammar, refused with a 400 before it reaches a query. */
@Injectable()
export class IdParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID_PATTERN.test(value))
      throw new DomainError('validation_failed', 'id must be 1-64 characters: letters, digits, . _ : - (no / + # or control characters)', {
        field: 'id',
      });
    return value;
  }
}
