// The real @nozbe/watermelondb 0.28 (LokiJS adapter in Node) syncing with
// a real AgentDesk server through GET/POST /v1/sync/watermelon, unchanged:
// first sync, offline edits on two devices of one agent, a conflict on
// the same field, a delete, a reassignment by the team lead; every device
// must converge to the server's state (a fresh full pull, REST reads),
// and WatermelonDB must log no error (it logs sync problems instead of
// throwing them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { startServer } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { schema, modelClasses, tables } from './watermelon-schema.mjs';

const require = createRequire(import.meta.url);
const { Database } = require('@nozbe/watermelondb');
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default;
const { synchronize } = require('@nozbe/watermelondb/sync');
const { setGenerator } = require('@nozbe/watermelondb/utils/common/randomId');
const logger = require('@nozbe/watermelondb/utils/common/logger').default;

// Record ids are UUIDs, as the server requires.
setGenerator(() => randomUUID());

// Every error WatermelonDB logs fails the test.
const logged = [];
logger.error = (...messages) => { logged.push(messages.map(String).join(' ')); };
const warned = [];
logger.warn = (...messages) => { warned.push(messages.map(String).join(' ')); };
logger.log = () => {};

let dbCount = 0;

// device is one phone: its own WatermelonDB database and device id.
function device(srv, token, name) {
  const adapter = new LokiJSAdapter({
    schema,
    useWebWorker: false,
    useIncrementalIndexedDB: false,
    // In memory: no autosave timer to keep the process alive.
    extraLokiOptions: { autosave: false },
    dbName: `agentdesk-${name}-${++dbCount}`,
    onSetUpError: (e) => { logged.push(`setup: ${e}`); },
  });
  const db = new Database({ adapter, modelClasses });
  return { name, db, token, deviceId: randomUUID(), srv, lastTimestamp: 0 };
}

async function sync(dev) {
  const { url } = dev.srv;
  const auth = { authorization: `Bearer ${dev.token}` };
  await synchronize({
    database: dev.db,
    pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
      const q = new URLSearchParams({ device_id: dev.deviceId, schema_version: String(schemaVersion) });
      if (lastPulledAt) q.set('last_pulled_at', String(lastPulledAt));
      if (migration) q.set('migration', JSON.stringify(migration));
      const r = await conformantFetch(`${url}/v1/sync/watermelon?${q}`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
      if (!r.ok) throw new Error(`${dev.name} pull: ${r.status} ${await r.text()}`);
      const body = await r.json();
      dev.lastTimestamp = body.timestamp;
      return body;
    },
    pushChanges: async ({ changes, lastPulledAt }) => {
      const q = new URLSearchParams({ device_id: dev.deviceId, last_pulled_at: String(lastPulledAt) });
      const r = await conformantFetch(`${url}/v1/sync/watermelon?${q}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ changes }),
      });
      if (!r.ok) throw new Error(`${dev.name} push: ${r.status} ${await r.text()}`);
      const body = await r.json();
      const rejected = Object.values(body.experimentalRejectedIds ?? {}).flat();
      assert.deepEqual(rejected, [], `${dev.name}: the server rejected records`);
      return body;
    },
  });
}

// state is a device's records by table and id, without WatermelonDB's
// bookkeeping; it also checks that nothing is left unsynced.
async function state(dev) {
  const out = {};
  for (const t of tables) {
    out[t] = {};
    for (const rec of await dev.db.get(t).query().fetch()) {
      const { _status, _changed, ...cols } = rec._raw;
      assert.equal(_status, 'synced', `${dev.name}: ${t}/${rec.id} is ${_status} after a sync`);
      out[t][rec.id] = cols;
    }
  }
  return out;
}

async function find(dev, table, id) {
  try {
    return await dev.db.get(table).find(id);
  } catch {
    return null;
  }
}

async function all(dev, table) {
  return (await dev.db.get(table).query().fetch()).map((r) => r._raw);
}

async function rest(srv, token, method, path, body) {
  const r = await conformantFetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

// converge syncs the devices until each holds what a fresh device of its
// agent gets from a first sync at the same watermark (the server may
// recompute derived records in the background between two pulls).
async function converge(srv, devices) {
  for (let round = 0; round < 5; round++) {
    for (const d of devices) await sync(d);
    const fresh = new Map();
    let stable = true;
    for (const d of devices) {
      if (!fresh.has(d.token)) {
        const f = device(srv, d.token, `fresh-${d.name}`);
        await sync(f);
        fresh.set(d.token, f);
      }
      if (fresh.get(d.token).lastTimestamp !== d.lastTimestamp) stable = false;
    }
    if (!stable) continue;
    for (const d of devices) {
      assert.deepEqual(await state(d), await state(fresh.get(d.token)), `${d.name} did not converge to the server's state`);
    }
    return;
  }
  assert.fail('the server kept changing: no stable watermark in 5 rounds');
}

test('WatermelonDB synchronize() against the server: two devices, a conflict, a delete, a reassignment', async (t) => {
  // Through the Prism validation proxy: every request and answer of the
  // scenario must be inside openapi.yaml (conformantFetch throws otherwise).
  const srv = await startServer({ prism: true });
  t.after(srv.stop);
  const [agent1, agent2, lead1] = await Promise.all(['agent1', 'agent2', 'lead1'].map((u) => srv.login(u)));
  const agent2Id = (await rest(srv, agent2, 'GET', '/v1/me')).body.id;

  const a1 = device(srv, agent1, 'agent1-phone');
  const a2 = device(srv, agent1, 'agent1-tablet');
  const b = device(srv, agent2, 'agent2-phone');

  // First sync of the demo book.
  for (const d of [a1, a2, b]) await sync(d);
  const customers = await all(a1, 'customers');
  assert.ok(customers.length > 0, 'agent1 has customers');
  assert.ok(customers.every((c) => c.agent_id === customers[0].agent_id), 'only agent1\'s customers');
  const openTasks = (await all(a1, 'tasks')).filter((tk) => tk.status === 'todo');
  assert.ok(openTasks.length >= 2, 'agent1 has open tasks');
  const [t1, t2] = openTasks;
  const c1 = t1.customer_id;
  assert.equal(typeof (await find(a1, 'tasks', t1.id))._raw.checklist, 'string', 'JSON columns are text');
  const restTask = await rest(srv, agent1, 'GET', `/v1/tasks/${t1.id}`);
  assert.equal(restTask.status, 200);
  assert.equal(restTask.body.title, t1.title);

  // Offline on the phone: a prospect, an interaction, two task edits.
  let prospectId, interactionId;
  await a1.db.write(async () => {
    const p = await a1.db.get('customers').create((r) => {
      r._setRaw('name', '韩梅梅');
      r._setRaw('phone', '13700001111');
      r._setRaw('tags', JSON.stringify(['转介绍']));
    });
    prospectId = p.id;
    const i = await a1.db.get('interactions').create((r) => {
      r._setRaw('customer_id', c1);
      r._setRaw('channel', 'phone');
      r._setRaw('type', 'care');
      r._setRaw('content', '电话回访，客户满意');
      r._setRaw('received_at', new Date().toISOString());
    });
    interactionId = i.id;
    await (await a1.db.get('tasks').find(t1.id)).update((r) => { r._setRaw('description', '带上理赔材料'); });
    await (await a1.db.get('tasks').find(t2.id)).update((r) => { r._setRaw('description', '手机上的说明'); });
  });
  // Offline on the tablet: the same field of t2.
  await a2.db.write(async () => {
    await (await a2.db.get('tasks').find(t2.id)).update((r) => { r._setRaw('description', '平板上的说明'); });
  });

  // The phone syncs first; its own records do not come back as created.
  await sync(a1);
  await sync(a1);
  assert.equal((await find(a1, 'customers', prospectId))._raw._status, 'synced');
  // The tablet pulls the phone's changes, keeps its own edit of t2 (the
  // last writer) and pushes it.
  await sync(a2);
  assert.ok(await find(a2, 'customers', prospectId), 'the prospect reached the tablet');
  assert.ok(await find(a2, 'interactions', interactionId), 'the interaction reached the tablet');
  assert.equal((await find(a2, 'tasks', t1.id))._raw.description, '带上理赔材料');
  assert.equal((await rest(srv, agent1, 'GET', `/v1/tasks/${t2.id}`)).body.description, '平板上的说明');
  await sync(a1);
  assert.equal((await find(a1, 'tasks', t2.id))._raw.description, '平板上的说明', 'the phone takes the last writer\'s value');

  // The tablet deletes the prospect; the delete reaches the phone.
  await a2.db.write(async () => { await (await a2.db.get('customers').find(prospectId)).markAsDeleted(); });
  await sync(a2);
  await sync(a1);
  assert.equal(await find(a1, 'customers', prospectId), null, 'the delete reached the phone');
  assert.equal((await rest(srv, agent1, 'GET', `/v1/customers/${prospectId}`)).status, 404);

  // The team lead reassigns c1 to agent2: it leaves both of agent1's
  // devices with its records and arrives complete on agent2's.
  const moved = await rest(srv, lead1, 'PATCH', `/v1/customers/${c1}`, { agent_id: agent2Id });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  for (const d of [a1, a2, b]) await sync(d);
  for (const d of [a1, a2]) {
    assert.equal(await find(d, 'customers', c1), null, `${d.name} still holds the reassigned customer`);
    assert.equal((await all(d, 'tasks')).filter((tk) => tk.customer_id === c1).length, 0, `${d.name} still holds its tasks`);
    assert.equal((await all(d, 'interactions')).filter((x) => x.customer_id === c1).length, 0, `${d.name} still holds its interactions`);
  }
  assert.equal((await find(b, 'customers', c1))._raw.agent_id, agent2Id);
  assert.ok(await find(b, 'tasks', t1.id), 'the new owner has the task');
  assert.ok(await find(b, 'interactions', interactionId), 'the new owner has the interaction made offline');

  // Head office drafts a script (agents do not see drafts), the devices
  // sync, then it is published: it arrives as created (WatermelonDB logs
  // an error for an updated record it does not hold); retired, it leaves;
  // published again, it arrives again.
  const admin = await srv.login('admin');
  const draft = await rest(srv, admin, 'POST', '/v1/toolkit/items', {
    key: `wm-${randomUUID().slice(0, 8)}`, kind: 'script', scenario: 'renewal', tier: 'basic', locale: 'zh-CN',
    title: '续保提醒话术', content: { sections: [{ title: '开场', lines: ['{customer.name}您好'] }] },
  });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  for (const d of [a1, b]) await sync(d);
  assert.equal(await find(a1, 'toolkit_items', draft.body.id), null, 'a draft reached a phone');
  for (const [action, present] of [['publish', true], ['retire', false], ['publish', true]]) {
    const r = await rest(srv, admin, 'POST', `/v1/toolkit/items/${draft.body.id}/${action}`);
    assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
    for (const d of [a1, b]) {
      await sync(d);
      assert.equal(Boolean(await find(d, 'toolkit_items', draft.body.id)), present, `${d.name} after ${action}`);
    }
  }

  await converge(srv, [a1, a2, b]);
  assert.deepEqual(logged, [], 'WatermelonDB logged errors');
  assert.deepEqual(warned.filter((w) => w.includes('Sync')), [], 'WatermelonDB warned about sync');
});
