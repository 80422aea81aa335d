// The native sync protocol (GET /v1/sync/pull, POST /v1/sync/push) through
// the Prism validation proxy: every answer must be inside the contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { changesOfBatches } from '../src/client.ts';

test('native sync: first pull, push, incremental pull, 304, replay — through Prism', async (t) => {
  const srv = await startServer({ prism: true });
  t.after(srv.stop);
  const token = await srv.login('agent1');
  const call = async (method, path, body, headers = {}) => {
    const r = await conformantFetch(`${srv.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : undefined };
  };
  const pullAll = async (cursor, format = 'changes') => {
    const changes = [];
    let etag;
    for (let page = 0; page < 1000; page++) {
      const q = new URLSearchParams({ limit: '500', format, ...(cursor ? { cursor } : {}) });
      const r = await call('GET', `/v1/sync/pull?${q}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      changes.push(...(format === 'columns' ? changesOfBatches(r.body.batches) : r.body.changes));
      cursor = r.body.cursor;
      etag = r.headers.get('etag');
      if (!r.body.has_more) return { changes, cursor, etag };
    }
    throw new Error('pull did not end');
  };

  const first = await pullAll();
  const customer = first.changes.find((c) => c.collection === 'customers' && c.op === 'upsert');
  assert.ok(customer, 'agent1 has customers');
  assert.ok(first.changes.some((c) => c.collection === 'policies'), 'and policies');
  const columns = await pullAll(undefined, 'columns');
  assert.deepEqual(columns.changes, first.changes, 'format=columns carries the same changes');

  const deviceId = randomUUID();
  const mutation = {
    mutation_id: `m-${randomUUID()}`,
    collection: 'customers',
    op: 'upsert',
    id: customer.id,
    base_version: customer.version,
    data: { occupation: '小学教师' },
  };
  const pushed = await call('POST', '/v1/sync/push', { device_id: deviceId, mutations: [mutation] });
  assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
  assert.equal(pushed.body.results.length, 1);
  assert.ok(['applied', 'merged'].includes(pushed.body.results[0].status), JSON.stringify(pushed.body.results[0]));

  const replay = await call('POST', '/v1/sync/push', { device_id: deviceId, mutations: [mutation] });
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body.results[0].version, pushed.body.results[0].version, 'a replayed mutation changes nothing');

  const next = await pullAll(first.cursor);
  const mine = next.changes.find((c) => c.collection === 'customers' && c.id === customer.id);
  assert.ok(mine, 'the pushed change comes back on the next pull');
  assert.equal(mine.data.occupation, '小学教师');
  assert.ok(mine.version > customer.version);

  if (next.etag) {
    const q = new URLSearchParams({ limit: '500', cursor: next.cursor });
    const notModified = await call('GET', `/v1/sync/pull?${q}`, undefined, { 'if-none-match': next.etag });
    assert.equal(notModified.status, 304);
  }

  const bad = await call('POST', '/v1/sync/push', { device_id: deviceId, mutations: [
    { ...mutation, mutation_id: `m-${randomUUID()}`, base_version: mine.version, data: { gender: 'not-a-gender' } },
  ] });
  assert.equal(bad.status, 200, 'one bad mutation never fails the push');
  assert.equal(bad.body.results[0].status, 'rejected');
  assert.equal(bad.body.results[0].error.status, 400);
});

test('changesOfBatches: upserts and deletes in order, reasons by delete, missing fields', () => {
  const a = '00000000-0000-0000-0000-00000000000a';
  const b = '00000000-0000-0000-0000-00000000000b';
  const c = '00000000-0000-0000-0000-00000000000c';
  const batches = [
    {
      collection: 'tasks',
      id: [a, b, c],
      version: [3, 1, 7],
      op: ['delete', 'upsert', 'delete'],
      reason: ['out_of_scope', 'deleted'],
      fields: { title: [null, '回访', null], due_at: [null, null, null] },
      missing: { due_at: [1] },
    },
    { collection: 'customers', id: [b], version: [2], fields: { name: ['王芳'] } },
  ];
  assert.deepEqual(changesOfBatches(batches), [
    { collection: 'tasks', op: 'delete', id: a, version: 3, reason: 'out_of_scope' },
    { collection: 'tasks', op: 'upsert', id: b, version: 1, data: { title: '回访' } },
    { collection: 'tasks', op: 'delete', id: c, version: 7, reason: 'deleted' },
    { collection: 'customers', op: 'upsert', id: b, version: 2, data: { name: '王芳' } },
  ]);
  assert.throws(() => changesOfBatches([{ ...batches[0], reason: ['deleted'] }]), /no reason/);
});
