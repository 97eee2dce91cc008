import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

const DOCUMENT_ID = 'wattline-openapi';

/**
 * Every answer of the REST API checked against the OpenAPI document the API itself serves: the
 * route and status must be documented, and a JSON (or problem+json) body must match the
 * documented schema (`additionalProperties: false` included, so a field the document does not
 * name fails too). The e2e tests' REST client runs every response through it, so the document
 * is tested against real answers on real data, not only against a validator.
 */
export class DocumentedResponses {
  private static readonly byBaseUrl = new Map<string, Promise<DocumentedResponses>>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<object, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp; params: number; operations: Json }[];

  private constructor(document: Json) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document.components });
    this.routes = Object.entries(document.paths as Json)
      .map(([template, operations]) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
        operations: operations as Json,
      }))
      // A literal segment wins over a parameter (`/tariffs/current` before `/tariffs/{x}`).
      .sort((a, b) => a.params - b.params);
  }

  /** Checks answers against a document in hand (the unit test of the document itself). */
  static fromDocument(document: Json): DocumentedResponses {
    return new DocumentedResponses(document);
  }

  /** The served document of the API at `baseUrl`, fetched once per test file. */
  static of(baseUrl: string): Promise<DocumentedResponses> {
    let found = DocumentedResponses.byBaseUrl.get(baseUrl);
    if (!found) {
      found = fetch(`${baseUrl}/openapi.json`).then(async (res) => {
        if (!res.ok) throw new Error(`${baseUrl}/openapi.json answered ${res.status}: the REST client checks every answer against it`);
        return new DocumentedResponses(await res.json());
      });
      found.catch(() => DocumentedResponses.byBaseUrl.delete(baseUrl));
      DocumentedResponses.byBaseUrl.set(baseUrl, found);
    }
    return found;
  }

  /** Throws, naming the route and what differs, when an answer is not what the document says. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    const path = new URL(url, 'http://x').pathname;
    const route = this.routes.find((r) => r.pattern.test(path));
    const what = `${method} ${path} → ${status}`;
    if (!route) throw new Error(`${what}: the route is not in the OpenAPI document`);
    const operation = route.operations[method.toLowerCase()];
    if (!operation) throw new Error(`${what}: ${method} is not documented for ${route.template}`);
    const documented = operation.responses?.[String(status)] ?? (status >= 400 ? operation.responses?.default : undefined);
    if (!documented) throw new Error(`${what}: status ${status} is not documented for ${method} ${route.template}`);
    const mediaType = (contentType ?? '').split(';')[0].trim();
    if (!documented.content) return; // documented without a body (/health, /metrics: text and readiness)
    const content = documented.content[mediaType];
    if (!content)
      throw new Error(`${what}: answered ${mediaType || 'no content type'}, documented ${Object.keys(documented.content).join(', ')}`);
    if (!mediaType.endsWith('json')) return; // CSV is text
    const validate = this.validator(content.schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
      throw new Error(`${what}: the answer does not match the OpenAPI document (${route.template}): ${errors.join('; ')}`);
    }
  }

  private validator(schema: Json): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      // The document's references are to its own components; here they are to the document added above.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`));
      validate = this.ajv.compile(rebased);
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}
