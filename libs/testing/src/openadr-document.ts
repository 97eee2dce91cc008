import { OpenAdrSchemas } from '@wattline/contracts';

type Json = Record<string, any>;

/**
 * The one erratum applied, named: 3.1.1's `ven` is allOf objectMetadata (objectType one of
 * objectTypes: `VEN`) and BlVenRequest (objectType `BL_VEN_REQUEST`), and `resource` likewise with
 * `BL_RESOURCE_REQUEST`; no object satisfies both enums, so no ven or resource could ever be
 * answered valid. The VTN answers objectMetadata's `VEN` and `RESOURCE`; here the request
 * discriminator's enum is lifted from BlVenRequest and BlResourceRequest where they are part of a
 * response, and every other constraint of both schemas still applies. Requests are not touched.
 */
function liftRequestDiscriminators(components: Json): void {
  for (const [response, request] of [
    ['ven', 'BlVenRequest'],
    ['resource', 'BlResourceRequest'],
  ]) {
    const lifted = `${request}AsAnswered`;
    const copy = structuredClone(components.schemas[request]);
    delete copy.properties.objectType.enum;
    components.schemas[lifted] = copy;
    components.schemas[response].allOf = components.schemas[response].allOf.map((part: Json) =>
      part.$ref === `#/components/schemas/${request}` ? { $ref: `#/components/schemas/${lifted}` } : part,
    );
  }
}

/**
 * Answers of the VTN and its notifications checked against the OpenADR 3.1.1 document itself
 * (its schemas as the VTN reads them, libs/contracts): the route and status must be documented,
 * the media type must be the documented one, and the body must match the documented schema.
 */
export class OpenAdrDocument extends OpenAdrSchemas {
  private readonly routes: { template: string; pattern: RegExp; params: number; operations: Json }[];

  constructor(file?: string) {
    super(file, liftRequestDiscriminators);
    this.routes = Object.entries(this.document.paths as Json)
      .map(([template, operations]) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
        operations: operations as Json,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** Throws, naming what differs, when an answer is not what the document says. `path` is below the VTN's base path. */
  checkResponse(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
    const what = `${method} ${path} → ${status}`;
    const route = this.routes.find((r) => r.pattern.test(path));
    if (!route) throw new Error(`${what}: not a path of the OpenADR document`);
    const operation = route.operations[method.toLowerCase()];
    if (!operation) throw new Error(`${what}: ${method} is not an operation of ${route.template}`);
    let response = operation.responses?.[String(status)];
    if (!response) throw new Error(`${what}: status ${status} is not documented for ${method} ${route.template}`);
    if (response.$ref) response = this.resolve(response.$ref);
    const mediaType = (contentType ?? '').split(';')[0].trim();
    const content = response.content?.[mediaType];
    if (!content)
      throw new Error(`${what}: answered ${mediaType || 'no content type'}, documented ${Object.keys(response.content ?? {}).join(', ')}`);
    this.fail(`${what} (${route.template})`, this.errorsAgainst(content.schema, body));
  }

  /** Checks a value against one of the document's schemas (e.g. `notification`). */
  checkSchema(name: string, value: unknown): void {
    this.fail(`#/components/schemas/${name}`, this.errorsOf(name, value));
  }

  private fail(what: string, errors: string[]): void {
    if (errors.length > 0) throw new Error(`${what}: does not match the OpenADR document: ${errors.join('; ')}`);
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Json, key) => node[key], this.document);
  }
}
