// The integrator's scenario, with the typed client generated from
// openapi.yaml, through the Prism validation proxy: any response outside
// the contract (an undocumented status, a schema violation) fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, DEMO_PASSWORD } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { clientCredentialsToken, createAgentDesk, type Schemas } from '../src/client.ts';

test('integrator: token, loads, webhook, interactions and the change feed through Prism', async (t) => {
  const srv = await startServer({
    prism: true,
    env: { AGENTDESK_WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32', AGENTDESK_WEBHOOK_INTERVAL: '200ms' },
  });
  t.after(srv.stop);
  const baseUrl: string = srv.url;
  const fetch = conformantFetch as typeof globalThis.fetch;

  const token = await clientCredentialsToken({ baseUrl, clientId: 'demo-integrator', clientSecret: DEMO_PASSWORD, fetch });
  assert.equal(token.token_type, 'Bearer');
  assert.ok(token.scope.split(' ').includes('customers:write'), token.scope);
  const api = createAgentDesk({ baseUrl, token: token.access_token, fetch });

  const run = randomUUID().slice(0, 8);
  const custId = `C-${run}-1`;

  await t.test('a customer by external id: created, then unchanged on replay', async () => {
    const body: Schemas['IntegrationCustomer'] = { name: '王芳', phone: '13800138000', agent_username: 'agent1' };
    const first = await api.PUT('/v1/integrations/customers/{external_id}', {
      params: { path: { external_id: custId } }, body,
    });
    assert.equal(first.response.status, 201, JSON.stringify(first.error));
    assert.equal(first.response.headers.get('agentdesk-upsert-result'), 'created');
    assert.equal(first.data?.name, '王芳');
    const again = await api.PUT('/v1/integrations/customers/{external_id}', {
      params: { path: { external_id: custId } }, body,
    });
    assert.equal(again.response.status, 200);
    assert.equal(again.response.headers.get('agentdesk-upsert-result'), 'unchanged');
    assert.equal(again.data?.version, first.data?.version);
  });

  const policy = (customer: string, n: number): Schemas['IntegrationPolicy'] => ({
    customer_external_id: customer,
    number: `P-${run}-${n}`,
    product_code: 'CI-2024-A',
    product_name: '安康重大疾病保险（2024版）',
    line: 'critical_illness',
    premium_cents: 856000,
    payment_frequency: 'annual',
    start_date: '2024-03-20',
    status: 'active',
  });

  await t.test('a policy by external id', async () => {
    const r = await api.PUT('/v1/integrations/policies/{external_id}', {
      params: { path: { external_id: `PA-${run}-1` } }, body: policy(custId, 1),
    });
    assert.equal(r.response.status, 201, JSON.stringify(r.error));
    assert.equal(r.data?.number, `P-${run}-1`);
  });

  await t.test('a batch: valid rows applied, a bad row rejected alone, a replay returns the stored result', async () => {
    const items: Schemas['IntegrationBatchItem'][] = [
      { kind: 'customer', external_id: `C-${run}-2`, data: { name: '李雷', agent_username: 'agent2' } },
      { kind: 'policy', external_id: `PA-${run}-2`, data: { ...policy(`C-${run}-2`, 2) } },
      { kind: 'policy', external_id: `PA-${run}-3`, data: { ...policy(`C-${run}-nobody`, 3) } },
      { kind: 'customer', external_id: custId, data: { name: '王芳', phone: '13800138000', agent_username: 'agent1' } },
    ];
    const key = randomUUID();
    const r = await api.POST('/v1/integrations/batch', { params: { header: { 'Idempotency-Key': key } }, body: { items } });
    assert.equal(r.response.status, 200, JSON.stringify(r.error));
    assert.ok(r.data);
    assert.deepEqual(r.data.counts, { created: 2, updated: 0, unchanged: 1, rejected: 1 });
    assert.deepEqual(r.data.results.map((x) => x.status), ['created', 'created', 'rejected', 'unchanged']);
    assert.equal(r.data.results[2]?.id, null);
    assert.equal(r.data.results[2]?.error?.status, 400);
    const replay = await api.POST('/v1/integrations/batch', { params: { header: { 'Idempotency-Key': key } }, body: { items } });
    assert.equal(replay.response.status, 200);
    assert.equal(replay.data?.batch_id, r.data.batch_id);
  });

  await t.test('a webhook subscription, and a signed delivery to a receiver', async () => {
    // The receiver listens on loopback, which the server refuses as a
    // webhook target unless configured otherwise (startServer's env below).
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { received.push({ headers: req.headers, body }); res.writeHead(204).end(); });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    t.after(() => new Promise<void>((ok) => receiver.close(() => ok())));
    const { port } = receiver.address() as AddressInfo;

    const r = await api.POST('/v1/webhooks', {
      body: { url: `http://127.0.0.1:${port}/agentdesk`, events: ['customer.updated'] },
    });
    assert.equal(r.response.status, 201, JSON.stringify(r.error));
    const secret = r.data?.secret;
    assert.ok(secret, 'the signing secret is returned once');
    assert.deepEqual(r.data?.events, ['customer.updated']);

    // A change of the customer loaded above is delivered, signed.
    const changed = await api.PUT('/v1/integrations/customers/{external_id}', {
      params: { path: { external_id: custId } }, body: { name: '王芳芳', phone: '13800138000', agent_username: 'agent1' },
    });
    assert.equal(changed.response.status, 200, JSON.stringify(changed.error));
    for (let i = 0; i < 300 && received.length === 0; i++) await new Promise((ok) => setTimeout(ok, 100));
    assert.ok(received.length > 0, 'no delivery within 30 s');
    const { headers, body } = received[0]!;
    const sig = String(headers['agentdesk-signature'] ?? '');
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
    assert.ok(m, `signature header: ${sig}`);
    const want = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex');
    assert.equal(m[2], want, 'the signature verifies with the secret');
    assert.ok(Math.abs(Date.now() / 1000 - Number(m[1])) < 300, 'the signature is fresh');
    const event = JSON.parse(body);
    assert.equal(event.type, 'customer.updated');
  });

  await t.test('interactions, page by page', async () => {
    let cursor: string | undefined;
    let n = 0;
    for (let page = 0; page < 3; page++) {
      const r = await api.GET('/v1/interactions', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } });
      assert.equal(r.response.status, 200, JSON.stringify(r.error));
      assert.ok(r.data);
      n += r.data.items.length;
      if (!r.data.next_cursor) break;
      cursor = r.data.next_cursor;
    }
    assert.ok(n > 0, 'the demo data set has interactions');
  });

  await t.test('the change feed names the loaded records', async () => {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (let page = 0; page < 200; page++) {
      const r = await api.GET('/v1/integrations/changes', {
        params: { query: { collections: ['customers', 'policies'], limit: 5000, ...(cursor ? { cursor } : {}) } },
      });
      assert.equal(r.response.status, 200, JSON.stringify(r.error));
      assert.ok(r.data);
      for (const c of r.data.changes) seen.add(`${c.collection}/${c.id}`);
      cursor = r.data.cursor;
      if (!r.data.has_more) break;
    }
    // The customer as the webhook step left it: the same body again.
    const cust = await api.PUT('/v1/integrations/customers/{external_id}', {
      params: { path: { external_id: custId } }, body: { name: '王芳芳', phone: '13800138000', agent_username: 'agent1' },
    });
    assert.ok(cust.data);
    assert.ok(seen.has(`customers/${cust.data.id}`), 'the customer loaded above is in the feed');
    const after = await api.GET('/v1/integrations/changes', { params: { query: { cursor, collections: ['customers', 'policies'] } } });
    assert.equal(after.response.status, 200);
    assert.deepEqual(after.data?.changes, [], 'an unchanged replay adds nothing to the feed');
  });
});
