// The WatermelonDB schema and models of an AgentDesk app, as a React
// Native app would declare them: one table per sync collection, one
// column per field of the collection's REST schema (openapi.yaml's
// GET /v1/sync/watermelon describes the mapping; objects and arrays are
// JSON text, created_at and updated_at numbers). Every other column is
// optional, since REST fields may be null.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { appSchema, tableSchema, Model } = require('@nozbe/watermelondb');

// created_at and updated_at are WatermelonDB's reserved number columns
// (milliseconds since the epoch, never null).
const stamps = new Set(['created_at', 'updated_at']);
const numbers = new Set(['version', 'premium_cents', 'sum_assured_cents', 'open_complaints', 'years_without_claim', 'revision']);

export const columns = {
  customers: ['version', 'agent_id', 'external_id', 'name', 'phone', 'id_number', 'birth_date', 'gender', 'occupation',
    'income_band', 'family', 'health_notes', 'risk_preference', 'preferred_channel', 'consent', 'tags', 'life_stage',
    'created_at', 'updated_at'],
  portraits: ['version', 'customer_id', 'customer', 'life_stage', 'policies_summary', 'coverage_gaps', 'churn_risk',
    'last_contact_at', 'open_complaints', 'claims', 'years_without_claim', 'nps', 'timeline', 'computed_at', 'created_at',
    'updated_at'],
  policies: ['version', 'customer_id', 'external_id', 'number', 'product_code', 'product_name', 'line', 'insured_name',
    'holder_name', 'premium_cents', 'sum_assured_cents', 'currency', 'payment_frequency', 'start_date',
    'next_premium_due_date', 'renewal_date', 'status', 'created_at', 'updated_at'],
  interactions: ['version', 'customer_id', 'agent_id', 'channel', 'type', 'content', 'result', 'feedback', 'received_at',
    'first_response_at', 'answers_interaction_id', 'task_id', 'plan_step_id', 'toolkit_item_ids', 'created_at',
    'updated_at'],
  tasks: ['version', 'customer_id', 'agent_id', 'plan_step_id', 'scenario', 'title', 'description', 'priority', 'status',
    'due_at', 'completed_at', 'skip_reason', 'toolkit_item_ids', 'checklist', 'created_at', 'updated_at'],
  service_plans: ['version', 'customer_id', 'generated_at', 'rules_version', 'steps', 'created_at', 'updated_at'],
  complaints: ['version', 'customer_id', 'agent_id', 'policy_id', 'status', 'category', 'severity', 'summary', 'details',
    'received_at', 'acknowledged_at', 'resolved_at', 'closed_at', 'escalated_at', 'root_cause', 'corrective_action',
    'resolution', 'sla', 'created_at', 'updated_at'],
  toolkit_items: ['version', 'key', 'kind', 'scenario', 'tier', 'locale', 'title', 'summary', 'tags', 'content', 'status',
    'revision', 'published_at', 'created_at', 'updated_at'],
  notifications: ['version', 'agent_id', 'customer_id', 'policy_id', 'kind', 'title', 'body', 'data', 'deep_link',
    'read_at', 'created_at', 'updated_at'],
};

export const tables = Object.keys(columns);

export const schema = appSchema({
  version: 1,
  tables: tables.map((name) => tableSchema({
    name,
    columns: columns[name].map((c) => ({
      name: c,
      type: numbers.has(c) || stamps.has(c) ? 'number' : 'string',
      isOptional: !stamps.has(c),
      ...(c.endsWith('_id') ? { isIndexed: true } : {}),
    })),
  })),
});

// Plain models (no decorators): records are read with _getRaw and
// written with _setRaw inside prepareUpdate/create callbacks.
export const modelClasses = tables.map((name) => {
  const cls = class extends Model {};
  Object.defineProperty(cls, 'table', { value: name });
  Object.defineProperty(cls, 'name', { value: `${name}Model` });
  return cls;
});
