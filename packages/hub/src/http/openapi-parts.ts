/** The builders the OpenAPI document (openapi.ts, openapi-nettools.ts) is written with. */

export const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object): object => ({ 'application/json': { schema } });

/** Schemas of the plain JSON types, so that short property lists fit on a line. */
export const t = { string: { type: 'string' }, integer: { type: 'integer' }, number: { type: 'number' }, boolean: { type: 'boolean' }, object: { type: 'object' } } as const;
export const nullable = (type: 'string' | 'integer' | 'object'): object => ({ type: [type, 'null'] });

/** An object schema whose properties are all required but those named in `optional`. */
export const object = (properties: Record<string, object>, optional: readonly string[] = []): object => ({
  type: 'object',
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
});

/** An optional query parameter (a string unless `schema` says otherwise). */
export const queryParam = (name: string, description: string, schema: object = t.string): object => ({ name, in: 'query', required: false, description, schema });
