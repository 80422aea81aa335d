// The integrator's scenario, with the typed client generated from
// openapi.yaml, through the Prism validation proxy: any response outside
// the contract (an undocumented status, a schema violation) fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, DEMO_PASSWORD } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { clientCredentialsToken, createAgentDesk, type Schemas } from '../src/client.ts';

test('integrator: token, loads, webhook, interactions and the change feed through Prism', async (t) => {
  const srv = await startServer({ prism: true });
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

  await t.test('a webhook subscription', async (st) => {
    // Webhooks are implemented on another branch; until they land the server
    // answers 501 (documented). Prism would mock a 501, so ask the server
    // itself; this step must pass once webhooks land.
    const probe = await globalThis.fetch(`${srv.directUrl}/v1/webhooks`, { headers: { authorization: `Bearer ${token.access_token}` } });
    await probe.body?.cancel();
    if (probe.status === 501) {
      st.skip('the server answers 501 to /v1/webhooks (not implemented yet)');
      return;
    }
    const r = await api.POST('/v1/webhooks', {
      body: { url: 'https://hooks.example.com/agentdesk', events: ['customer.updated', 'interaction.created'] },
    });
    assert.equal(r.response.status, 201, JSON.stringify(r.error));
    assert.ok(r.data?.secret, 'the signing secret is returned once');
    assert.deepEqual(r.data?.events, ['customer.updated', 'interaction.created']);
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
    const cust = await api.PUT('/v1/integrations/customers/{external_id}', {
      params: { path: { external_id: custId } }, body: { name: '王芳', phone: '13800138000', agent_username: 'agent1' },
    });
    assert.ok(cust.data);
    assert.ok(seen.has(`customers/${cust.data.id}`), 'the customer loaded above is in the feed');
    const after = await api.GET('/v1/integrations/changes', { params: { query: { cursor, collections: ['customers', 'policies'] } } });
    assert.equal(after.response.status, 200);
    assert.deepEqual(after.data?.changes, [], 'an unchanged replay adds nothing to the feed');
  });
});
