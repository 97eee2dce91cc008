import { Body, Controller, Post } from '@nestjs/common';
import { RequireRole } from '../auth/api-key.guard';
import { createApiKeySchema, type CreateApiKeyBody } from '../dtos/schemas';
import { ApiKeyService } from '../services/api-key.service';

@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @RequireRole('admin')
  async issue(@Body({ schema: createApiKeySchema }) body: CreateApiKeyBody) {
    const key = await this.keys.issue(body.name, body.role);
    return { id: key.id, name: key.name, role: key.role, createdAt: new Date(key.createdAt).toISOString(), key: key.key };
  }
}
