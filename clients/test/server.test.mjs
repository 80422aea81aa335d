// The harness itself: a real server starts, a demo agent logs in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';

test('the server starts with the demo data set and an agent logs in', async (t) => {
  const srv = await startServer();
  t.after(srv.stop);
  const token = await srv.login('agent1');
  const r = await fetch(`${srv.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).username, 'agent1');
});
