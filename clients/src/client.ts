// A small typed client for the AgentDesk API: openapi-fetch over the types
// that openapi-typescript generates from openapi.yaml (src/agentdesk.d.ts;
// regenerate with `npm run generate`, CI fails when it is stale).
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './agentdesk.js';

export type { components, paths };
export type Schemas = components['schemas'];
export type AgentDeskClient = Client<paths>;

export interface AgentDeskOptions {
  /** The server's origin, e.g. https://agentdesk.example.com (paths start with /v1). */
  baseUrl: string;
  /** A bearer token, or a function returning the current one. */
  token?: string | (() => string | undefined);
  /** A fetch implementation (tests pass a validating one). */
  fetch?: typeof fetch;
}

/** createAgentDesk returns a client whose requests and responses are typed by the contract. */
export function createAgentDesk({ baseUrl, token, fetch: fetchImpl }: AgentDeskOptions): AgentDeskClient {
  const client = createClient<paths>({
    baseUrl,
    // The contract's array query parameters are comma-separated (style form, explode false).
    querySerializer: { array: { style: 'form', explode: false } },
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  if (token !== undefined) {
    const auth: Middleware = {
      onRequest({ request }) {
        const t = typeof token === 'function' ? token() : token;
        if (t) request.headers.set('authorization', `Bearer ${t}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}

export interface ClientCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes; all of the client's when absent. */
  scope?: string;
  fetch?: typeof fetch;
}

/** clientCredentialsToken runs the OAuth 2.0 client-credentials grant (HTTP Basic client authentication). */
export async function clientCredentialsToken(c: ClientCredentials): Promise<Schemas['OAuthToken']> {
  const client = createAgentDesk({ baseUrl: c.baseUrl, fetch: c.fetch });
  const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64');
  const { data, error, response } = await client.POST('/v1/oauth/token', {
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: { grant_type: 'client_credentials', ...(c.scope ? { scope: c.scope } : {}) },
    bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
  });
  if (!data) {
    throw new Error(`token for ${c.clientId}: ${response.status} ${JSON.stringify(error)}`);
  }
  return data;
}

// changesOfBatches turns the batches of a `format=columns` pull page back
// into its changes, in order (openapi.yaml's SyncChangeBatch): change i of
// a batch has the batch's i-th id, version and op; the k-th delete has the
// k-th reason; an upsert has the record built of every field's i-th value
// but those listed missing.
export function changesOfBatches(batches: Schemas['SyncChangeBatch'][]): Schemas['SyncChange'][] {
  const out: Schemas['SyncChange'][] = [];
  for (const b of batches) {
    const missing = new Map(Object.entries(b.missing ?? {}).map(([f, at]) => [f, new Set(at)]));
    let deletes = 0;
    b.id.forEach((id, i) => {
      const op = b.op?.[i] ?? 'upsert';
      const version = b.version[i];
      if (version === undefined) throw new Error(`batch of ${b.collection}: no version for change ${i}`);
      if (op === 'delete') {
        const reason = b.reason?.[deletes++];
        if (reason === undefined) throw new Error(`batch of ${b.collection}: no reason for delete ${i}`);
        out.push({ collection: b.collection, op, id, version, reason });
        return;
      }
      const data: Record<string, unknown> = {};
      for (const [f, values] of Object.entries(b.fields)) {
        if (!missing.get(f)?.has(i)) data[f] = values[i];
      }
      out.push({ collection: b.collection, op, id, version, data });
    });
  }
  return out;
}
