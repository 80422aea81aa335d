// The real rxdb 17 (memory storage, replicateRxCollection with fetch pull
// and push handlers and a server-sent-events pull stream, live) against a
// real server: first sync, offline edits on two devices, a conflict on
// the same field, a deletion, a reassignment by the team lead; every
// device converges to the server's state. The pull and push calls run
// through the Prism validation proxy (conformantFetch fails the test on
// any answer outside openapi.yaml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRxDatabase } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { Subject } from 'rxjs';
import { startServer } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { rxdbSchemas, REST_SCHEMAS, RXDB_SCHEMA_VERSION } from './rxdb-schema.mjs';

// Anything the library logs as an error fails the tests, like its error$.
const logged = [];
const consoleError = console.error;
console.error = (...args) => { logged.push(args.map(String).join(' ')); consoleError(...args); };

const ALL = Object.keys(REST_SCHEMAS);
const SCHEMAS = rxdbSchemas();
// The open-source RxDB allows 13 collections open at once (error COL23):
// the devices of the multi-device scenario replicate the collections it
// touches; a first sync of every collection runs on a device of its own.
const aborts = new Set(); // every stream reader, stopped when a test ends
const SCENARIO = ['customers', 'tasks', 'interactions', 'policies'];

// uuidv7 makes a client-side id, as the app would offline.
function uuidv7() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// sseStream reads a server-sent-events response into RxDB's stream
// subject: each message's data is a batch or "RESYNC"; a broken
// connection is a RESYNC too (RxDB's documented pattern), and the reader
// reconnects with Last-Event-ID. The stream goes to the server directly,
// not through Prism: Prism's proxy reads a whole answer before validating
// it, and an event stream does not end; the pull and push calls, which
// carry the documents, go through Prism.
function sseStream(url, token, subject, signal) {
  let lastId = '';
  (async () => {
    while (!signal.aborted) {
      try {
        const headers = { authorization: `Bearer ${token()}` };
        if (lastId) headers['last-event-id'] = lastId;
        const conn = new AbortController();
        const stop = () => conn.abort();
        signal.addEventListener('abort', stop, { once: true });
        let res;
        try {
          res = await fetch(url, { headers, signal: conn.signal });
        } finally {
          signal.removeEventListener('abort', stop);
        }
        if (res.status !== 200) throw new Error(`pullStream: ${res.status}`);
        const dec = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body) {
          buf += dec.decode(chunk, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let data = '';
            let id = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('data: ')) data += line.slice(6);
              else if (line.startsWith('id: ')) id = line.slice(4);
            }
            if (!data) continue; // a comment (heartbeat)
            const ev = JSON.parse(data);
            if (id) lastId = id;
            subject.next(ev === 'RESYNC' ? 'RESYNC' : { documents: ev.documents, checkpoint: ev.checkpoint });
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        if (process.env.RXDB_TEST_DEBUG) consoleError('pullStream', url, err);
      }
      if (!signal.aborted) {
        subject.next('RESYNC');
        await new Promise((ok) => setTimeout(ok, 200));
      }
    }
  })();
}

// device is one phone of an agent: an RxDB database replicating every
// collection with the server.
async function device(srv, name, username, COLLECTIONS = SCENARIO) {
  let token = await srv.login(username);
  const errors = [];
  const abort = new AbortController();
  aborts.add(abort);
  const db = await createRxDatabase({ name: `${name}-${uuidv7()}`, storage: getRxStorageMemory() });
  const defs = {};
  for (const c of COLLECTIONS) defs[c] = { schema: SCHEMAS[c] };
  await db.addCollections(defs);
  const call = async (path, init = {}) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await conformantFetch(`${srv.url}${path}`, {
        ...init,
        headers: { ...(init.headers || {}), authorization: `Bearer ${token}` },
      });
      if (res.status === 401 && attempt === 0) {
        token = await srv.login(username); // RxDB's handler refreshes the token
        continue;
      }
      if (!res.ok) throw new Error(`${init.method || 'GET'} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    }
  };
  const reps = {};
  for (const c of COLLECTIONS) {
    const base = `/v1/sync/rxdb/${c}/${RXDB_SCHEMA_VERSION}`;
    const stream$ = new Subject();
    sseStream(`${srv.directUrl}${base}/pullStream`, () => token, stream$, abort.signal);
    const rep = replicateRxCollection({
      collection: db[c],
      replicationIdentifier: `agentdesk-${c}`,
      live: true,
      retryTime: 500,
      waitForLeadership: false,
      pull: {
        batchSize: 7,
        async handler(checkpoint, batchSize) {
          const q = new URLSearchParams({ limit: String(batchSize) });
          if (checkpoint) {
            q.set('lwt', String(checkpoint.lwt));
            q.set('id', checkpoint.id);
          }
          return call(`${base}/pull?${q}`);
        },
        stream$: stream$.asObservable(),
      },
      push: {
        batchSize: 5,
        async handler(rows) {
          return call(`${base}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(rows),
          });
        },
      },
    });
    rep.error$.subscribe((err) => errors.push(`${name}/${c}: ${err && (err.stack || err.message || err)}`));
    reps[c] = rep;
  }
  const d = {
    name, username, db, reps, errors, collections: COLLECTIONS,
    token: () => token,
    async sync() {
      for (const c of COLLECTIONS) reps[c].reSync();
      for (const c of COLLECTIONS) await reps[c].awaitInSync();
    },
    async offline() { for (const c of COLLECTIONS) await reps[c].pause(); },
    async online() {
      for (const c of COLLECTIONS) await reps[c].start();
      await d.sync();
    },
    // docs returns the live documents of a collection, by id.
    async docs(c) {
      const out = {};
      for (const doc of await db[c].find().exec()) out[doc.id] = doc.toMutableJSON();
      return out;
    },
    async stop() {
      abort.abort();
      for (const c of COLLECTIONS) await reps[c].cancel();
      await db.remove();
    },
  };
  for (const c of COLLECTIONS) await reps[c].awaitInitialReplication();
  return d;
}

// truth is the server's state for an agent: a fresh full pull of every
// collection, by id (tombstones dropped).
async function truth(srv, token, collections = ALL) {
  const out = {};
  for (const c of collections) {
    const docs = {};
    let checkpoint = null;
    for (;;) {
      const q = new URLSearchParams({ limit: '1000' });
      if (checkpoint) { q.set('lwt', String(checkpoint.lwt)); q.set('id', checkpoint.id); }
      const res = await conformantFetch(`${srv.url}/v1/sync/rxdb/${c}/0/pull?${q}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const p = await res.json();
      for (const doc of p.documents) {
        if (doc._deleted) delete docs[doc.id];
        else docs[doc.id] = doc;
      }
      if (p.documents.length < 1000) break;
      checkpoint = p.checkpoint;
    }
    out[c] = docs;
  }
  return out;
}

async function rest(srv, token, method, path, body) {
  const res = await conformantFetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { json: text ? JSON.parse(text) : null, etag: res.headers.get('etag') };
}

// restCustomerIDs lists the customers the REST API shows the caller.
async function restCustomerIDs(srv, token) {
  const ids = [];
  let cursor = '';
  for (;;) {
    const q = new URLSearchParams({ limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const { json } = await rest(srv, token, 'GET', `/v1/customers?${q}`);
    ids.push(...json.items.map((c) => c.id));
    if (!json.next_cursor) return ids.sort();
    cursor = json.next_cursor;
  }
}

function strip(doc) {
  const { _meta, _rev, _attachments, _deleted, ...rest } = doc;
  return rest;
}

// converged waits until the device holds exactly the server's state (the
// stream may still be delivering), then asserts it.
async function converged(srv, d) {
  let last = '';
  for (let i = 0; i < 50; i++) {
    await d.sync();
    const want = await truth(srv, d.token(), d.collections);
    last = '';
    for (const c of d.collections) {
      const got = await d.docs(c);
      const wantIDs = Object.keys(want[c]).sort();
      const gotIDs = Object.keys(got).sort();
      if (JSON.stringify(wantIDs) !== JSON.stringify(gotIDs)) {
        last = `${d.name}/${c}: ids differ: server ${wantIDs.length}, device ${gotIDs.length}; ` +
          `missing ${wantIDs.filter((x) => !got[x]).slice(0, 3)}, extra ${gotIDs.filter((x) => !want[c][x]).slice(0, 3)}`;
        break;
      }
      for (const id of wantIDs) {
        if (want[c][id].version !== got[id].version) {
          last = `${d.name}/${c}/${id}: version ${got[id].version}, server ${want[c][id].version}`;
          break;
        }
        if (c === 'customers' || c === 'tasks') {
          try { assert.deepEqual(strip(got[id]), strip(want[c][id])); } catch (e) { last = `${d.name}/${c}/${id}: ${e.message}`; }
        }
      }
      if (last) break;
    }
    if (!last) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(last, '', last);
  // The REST API agrees on the book.
  const book = Object.keys(await d.docs('customers')).sort();
  assert.deepEqual(book, await restCustomerIDs(srv, d.token()), `${d.name}: book differs from GET /v1/customers`);
}

test('rxdb: a first sync of every collection converges', { timeout: 300_000 }, async (t) => {
  const srv = await startServer({ prism: true });
  let d;
  t.after(async () => {
    if (d) await d.stop().catch(() => {});
    for (const a of aborts) a.abort();
    await srv.stop();
  });
  d = await device(srv, 'lead1-phone', 'lead1', ALL);
  await converged(srv, d);
  for (const c of ['customers', 'portraits', 'policies', 'interactions', 'tasks', 'toolkit_items']) {
    assert.ok(Object.keys(await d.docs(c)).length > 0, `the lead's first sync brought no ${c}`);
  }
  assert.deepEqual(d.errors, [], 'replication logged errors');
  assert.deepEqual(logged, [], 'console errors');
});

test('rxdb replicates a book, offline edits, a conflict and a reassignment', { timeout: 300_000 }, async (t) => {
  const srv = await startServer({ prism: true });
  const devices = [];
  t.after(async () => {
    for (const d of devices) await d.stop().catch(() => {});
    for (const a of aborts) a.abort();
    await srv.stop();
  });
  const a1 = await device(srv, 'agent1-phone', 'agent1');
  const a2 = await device(srv, 'agent1-tablet', 'agent1');
  const b = await device(srv, 'agent2-phone', 'agent2');
  devices.push(a1, a2, b);
  const lead = await srv.login('lead1');

  // First sync of a demo agent's book.
  for (const d of devices) await converged(srv, d);
  const customers = await a1.docs('customers');
  const tasks = Object.values(await a1.docs('tasks')).filter((x) => x.status === 'todo');
  assert.ok(Object.keys(customers).length >= 3, 'agent1 has a book');
  assert.ok(tasks.length >= 2, 'agent1 has open tasks');
  const [t1, t2] = tasks;
  const interactions = Object.values(await a1.docs('interactions'));
  assert.ok(interactions.length > 0, 'agent1 has interaction history');

  // Offline on both devices.
  await a1.offline();
  await a2.offline();
  const newID = uuidv7();
  await a1.db.customers.insert({ id: newID, name: '离线新客户', tags: ['线下活动'] });
  await (await a1.db.tasks.findOne(t1.id).exec()).incrementalPatch({ title: '手机上改的标题' });
  const others = Object.keys(customers).filter((id) => id !== t1.customer_id && id !== t2.customer_id);
  const victim = others[0];
  await (await a1.db.customers.findOne(t2.customer_id).exec()).incrementalPatch({ occupation: '小学教师' });
  // The same field on the other device: a conflict.
  await (await a2.db.tasks.findOne(t1.id).exec()).incrementalPatch({ title: '平板上改的标题' });
  await (await a2.db.tasks.findOne(t2.id).exec()).incrementalPatch({ description: '平板上补充的说明' });
  await (await a2.db.customers.findOne(victim).exec()).remove();

  // Back online: the phone pushes first, then the tablet.
  await a1.online();
  await a2.online();
  for (const d of devices) await converged(srv, d);

  const server = await truth(srv, a1.token());
  assert.ok(server.customers[newID], 'the offline customer reached the server');
  assert.equal(server.tasks[t1.id].title, '平板上改的标题', 'the last writer wins the conflicting field');
  assert.equal(server.tasks[t2.id].description, '平板上补充的说明');
  assert.equal(server.customers[t2.customer_id].occupation, '小学教师');
  // The insurer's customer (it has an external id) may not be deleted by
  // an agent: the server's copy came back and the tablet holds it again.
  assert.ok(server.customers[victim].external_id, 'the victim is an insurer customer');
  assert.ok((await a2.docs('customers'))[victim], 'the refused delete was undone on the tablet')
  for (const d of [a1, a2]) {
    assert.equal((await d.docs('tasks'))[t1.id].title, '平板上改的标题', `${d.name} converged on the conflict`);
    assert.ok((await d.docs('customers'))[newID], `${d.name} holds the offline customer`);
  }

  // Offline again: the tablet deletes the customer the phone made, while
  // the phone edits it. The delete wins; the phone's edit finds it gone.
  await a1.offline();
  await a2.offline();
  await (await a2.db.customers.findOne(newID).exec()).remove();
  await (await a1.db.customers.findOne(newID).exec()).incrementalPatch({ occupation: '医生' });
  await a2.online();
  await a1.online();
  for (const d of devices) await converged(srv, d);
  assert.equal((await truth(srv, a1.token())).customers[newID], undefined, 'the deleted customer is gone');
  for (const d of [a1, a2]) assert.equal((await d.docs('customers'))[newID], undefined, `${d.name} still holds the deleted customer`);

  // The team lead reassigns a customer (with its records) to agent2.
  const moved = t2.customer_id;
  const agent2 = (await rest(srv, b.token(), 'GET', '/v1/me')).json;
  const cur = await rest(srv, lead, 'GET', `/v1/customers/${moved}`);
  await rest(srv, lead, 'PATCH', `/v1/customers/${moved}`, { agent_id: agent2.id });
  for (const d of devices) await converged(srv, d);
  for (const d of [a1, a2]) {
    assert.equal((await d.docs('customers'))[moved], undefined, `${d.name} still holds the reassigned customer`);
    assert.equal((await d.docs('tasks'))[t2.id], undefined, `${d.name} still holds its task`);
    const left = Object.values(await d.docs('interactions')).filter((x) => x.customer_id === moved);
    assert.equal(left.length, 0, `${d.name} still holds its interactions`);
  }
  const bTasks = await b.docs('tasks');
  assert.ok((await b.docs('customers'))[moved], 'agent2 received the customer');
  assert.ok(bTasks[t2.id], 'agent2 received its task');
  assert.equal(bTasks[t2.id].description, '平板上补充的说明');
  const bInter = Object.values(await b.docs('interactions')).filter((x) => x.customer_id === moved);
  const serverInter = Object.values((await truth(srv, b.token())).interactions).filter((x) => x.customer_id === moved);
  assert.equal(bInter.length, serverInter.length, 'agent2 received the whole history');
  assert.ok(cur.json.id === moved);

  // No replication logged an error.
  for (const d of devices) assert.deepEqual(d.errors, [], `${d.name} logged errors`);
  assert.deepEqual(logged, [], 'console errors');
});
