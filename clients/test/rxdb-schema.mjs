// The RxDB JSON schemas of the synced collections, derived from
// openapi.yaml: a collection's document is the record as its REST schema
// renders it (openapi.yaml, RxdbDocument), primary key `id`, RxDB schema
// version 0 (the {schema_version} of /v1/sync/rxdb/{collection}/{schema_version}/…).
//
// js-yaml comes with the pinned openapi-typescript (a devDependency), so
// reading the spec adds no dependency.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

export const RXDB_SCHEMA_VERSION = 0;

// The REST schema of each synced collection (openapi.yaml, RxdbDocument).
export const REST_SCHEMAS = {
  customers: 'Customer',
  portraits: 'Portrait',
  policies: 'Policy',
  interactions: 'Interaction',
  tasks: 'Task',
  service_plans: 'ServicePlan',
  complaints: 'Complaint',
  toolkit_items: 'ToolkitItem',
  notifications: 'Notification',
};

const specPath = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

// properties collects the properties of a schema, through $ref and allOf.
function properties(spec, schema, seen = new Set()) {
  if (!schema) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.has(name)) return {};
    seen.add(name);
    return properties(spec, spec.components.schemas[name], seen);
  }
  let out = { ...(schema.properties || {}) };
  for (const part of schema.allOf || []) out = { ...out, ...properties(spec, part, seen) };
  return out;
}

// jsonType is the JSON-schema type of an OpenAPI property (RxDB's schemas
// are JSON schema; OpenAPI's `nullable` becomes a type union).
function jsonType(spec, p) {
  let s = p;
  while (s && s.$ref) s = spec.components.schemas[s.$ref.replace('#/components/schemas/', '')];
  if (s && !s.type && s.allOf) return jsonType(spec, s.allOf[0]);
  const type = (s && s.type) || 'object';
  return (p.nullable || (s && s.nullable)) ? [type, 'null'] : type;
}

// rxdbSchemas returns {collection: RxJsonSchema}.
export function rxdbSchemas() {
  const spec = yaml.load(readFileSync(specPath, 'utf8'));
  const out = {};
  for (const [coll, name] of Object.entries(REST_SCHEMAS)) {
    const props = properties(spec, spec.components.schemas[name]);
    if (!props.id) throw new Error(`openapi.yaml: ${name} has no id`);
    const rx = {};
    for (const [field, p] of Object.entries(props)) {
      rx[field] = field === 'id' ? { type: 'string', maxLength: 36 } : { type: jsonType(spec, p) };
    }
    out[coll] = {
      title: coll,
      version: RXDB_SCHEMA_VERSION,
      primaryKey: 'id',
      type: 'object',
      properties: rx,
      required: ['id'],
    };
  }
  return out;
}
