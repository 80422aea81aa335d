// The conformance wrapper can fail: Prism in front of a fake server that
// breaks the contract in each way Prism reports, and conformantFetch must
// throw for every one of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startPrism } from './server.mjs';
import { conformantFetch, ContractViolation } from './conformance.mjs';

test('conformantFetch throws on every violation Prism reports', async (t) => {
  const fake = createServer((req, res) => {
    res.setHeader('x-request-id', 'fake');
    if (req.url.startsWith('/v1/me')) {
      // A status the contract does not document for GET /v1/me.
      res.writeHead(418, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'teapot', status: 418 }));
    } else if (req.url.startsWith('/v1/customers')) {
      // A documented status with a body outside its schema.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: 'not an array' }));
    } else {
      res.writeHead(501, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Not implemented', status: 501 }));
    }
  });
  await new Promise((ok) => fake.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise((ok) => fake.close(ok)));
  const prism = await startPrism(`http://127.0.0.1:${fake.address().port}`);
  t.after(prism.stop);
  const auth = { headers: { authorization: 'Bearer x' } };

  const cases = [
    ['an undocumented status (sl-violations)', '/v1/me', auth, /→ 418: Prism reports violations/],
    ['a response outside its schema (Prism 500)', '/v1/customers', auth, /→ 500: Prism reports violations.*must be array/s],
    ['a path outside the contract (Prism 404)', '/v1/no-such-path', auth, /NO_PATH_MATCHED/],
    ['a request without credentials (Prism 401)', '/v1/me', {}, /→ 401: Prism refused/],
    ['a 501 that Prism would mock', '/v1/webhooks', auth, /answered by Prism, not by the server/],
  ];
  for (const [name, path, init, re] of cases) {
    await t.test(name, async () => {
      await assert.rejects(conformantFetch(`${prism.url}${path}`, init), (err) => {
        assert.ok(err instanceof ContractViolation, String(err));
        assert.match(err.message, re);
        return true;
      });
    });
  }
});
