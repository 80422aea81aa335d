// An agent's and a team lead's working day, with the typed client
// generated from openapi.yaml, through the Prism validation proxy: the
// end-to-end scenarios of the portrait and plan, reminder, service-quality
// and identity features. conformantFetch fails the test on any answer
// outside the contract (an undocumented status code, a schema violation,
// an answer Prism made up), errors included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, DEMO_PASSWORD } from './server.mjs';
import { conformantFetch } from './conformance.mjs';
import { createAgentDesk, type AgentDeskClient, type Schemas } from '../src/client.ts';

const fetch = conformantFetch as typeof globalThis.fetch;

// session logs a demo user in through the proxy and returns a client that
// sends the access token, and the token pair.
async function session(baseUrl: string, username: string) {
  const anon = createAgentDesk({ baseUrl, fetch });
  const { data, error, response } = await anon.POST('/v1/auth/login', { body: { username, password: DEMO_PASSWORD } });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(data);
  let access = data.access_token;
  const api = createAgentDesk({ baseUrl, token: () => access, fetch });
  return { api, tokens: data, setAccess: (t: string) => { access = t; } };
}

// problem asserts an error answer: its status and a problem+json body.
function problem(r: { response: Response; error?: unknown }, status: number) {
  assert.equal(r.response.status, status, JSON.stringify(r.error));
  assert.match(r.response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const p = r.error as Schemas['Problem'];
  assert.equal(p.status, status);
  assert.ok(p.title);
  return p;
}

test('a working day through Prism: portrait, plan, tasks, ledger, complaint, claim, NPS, devices, KPIs', async (t) => {
  const srv = await startServer({ prism: true });
  t.after(srv.stop);
  const baseUrl: string = srv.url;
  const agent = await session(baseUrl, 'agent1');
  const lead = await session(baseUrl, 'lead1');
  const admin = await session(baseUrl, 'admin');
  const a: AgentDeskClient = agent.api;
  // Requests outside the contract's request schemas (a malformed id, a
  // score above 10) go to the server directly: Prism answers those itself
  // with a 422 and never asks the server, whose 400 is what a client gets.
  const direct = createAgentDesk({ baseUrl: srv.directUrl, token: () => agent.tokens.access_token });

  const me = await a.GET('/v1/me');
  assert.equal(me.data?.username, 'agent1');
  assert.equal(me.data?.role, 'agent');

  // The agent's book, and one customer with a service plan.
  const book = await a.GET('/v1/customers', { params: { query: { limit: 50 } } });
  assert.equal(book.response.status, 200);
  assert.ok(book.data && book.data.items.length > 0);
  let customer: Schemas['Customer'] | undefined;
  let plan: Schemas['ServicePlan'] | undefined;
  for (const c of book.data.items) {
    const p = await a.GET('/v1/customers/{id}/service-plan', { params: { path: { id: c.id } } });
    assert.equal(p.response.status, 200, JSON.stringify(p.error));
    if (p.data && p.data.steps.some((s) => s.status === 'todo' && s.task_id)) {
      customer = c;
      plan = p.data;
      break;
    }
  }
  assert.ok(customer && plan, 'a customer of agent1 has an open plan step');
  const cid = customer.id;

  await t.test('the portrait and the customer', async () => {
    const r = await a.GET('/v1/customers/{id}/portrait', { params: { path: { id: cid } } });
    assert.equal(r.response.status, 200, JSON.stringify(r.error));
    assert.equal(r.data?.customer_id, cid);
    assert.ok(r.data?.churn_risk && Array.isArray(r.data.churn_risk.factors));
    const c = await a.GET('/v1/customers/{id}', { params: { path: { id: cid } } });
    assert.equal(c.response.status, 200);
    assert.ok(c.response.headers.get('etag'));
    problem(await a.GET('/v1/customers/{id}', { params: { path: { id: randomUUID() } } }), 404);
    problem(await direct.GET('/v1/customers/{id}', { params: { path: { id: 'not-a-uuid' } } }), 400);
  });

  await t.test('toolkit: a published script rendered for the customer', async () => {
    const items = await a.GET('/v1/toolkit/items', { params: { query: { kind: 'script', limit: 5 } } });
    assert.equal(items.response.status, 200);
    assert.ok(items.data && items.data.items.length > 0);
    for (const it of items.data.items) assert.equal(it.status, 'published');
    const r = await a.GET('/v1/toolkit/items/{id}/render', {
      params: { path: { id: items.data.items[0]!.id }, query: { customer_id: cid } },
    });
    assert.equal(r.response.status, 200, JSON.stringify(r.error));
    assert.doesNotMatch(JSON.stringify(r.data), /\{customer\.name\}/);
  });

  await t.test('a plan step done as a task, with an interaction that used the toolkit', async () => {
    const step = plan!.steps.find((s) => s.status === 'todo' && s.task_id)!;
    const task = await a.GET('/v1/tasks/{id}', { params: { path: { id: step.task_id! } } });
    assert.equal(task.response.status, 200);
    const etag = task.response.headers.get('etag')!;
    problem(await a.PATCH('/v1/tasks/{id}', {
      params: { path: { id: step.task_id! } }, body: { status: 'skipped' },
    }), 400); // a skip needs its reason
    const ix = await a.POST('/v1/customers/{id}/interactions', {
      params: { path: { id: cid } },
      body: {
        channel: 'phone', type: 'revisit', content: '电话回访，确认保单已送达。', result: 'done',
        task_id: step.task_id ?? undefined, plan_step_id: step.id, toolkit_item_ids: step.toolkit_item_ids ?? [],
      },
    });
    assert.equal(ix.response.status, 201, JSON.stringify(ix.error));
    const done = await a.PATCH('/v1/tasks/{id}', {
      params: { path: { id: step.task_id! }, header: { 'If-Match': etag } },
      body: { status: 'done', checklist: (task.data?.checklist ?? []).map((c) => ({ ...c, checked: true })) },
    });
    assert.equal(done.response.status, 200, JSON.stringify(done.error));
    assert.equal(done.data?.status, 'done');
    assert.ok(done.data?.completed_at);
    problem(await a.PATCH('/v1/tasks/{id}', {
      params: { path: { id: step.task_id! }, header: { 'If-Match': etag } }, body: { status: 'todo' },
    }), 412); // a stale If-Match
    const day = await a.GET('/v1/tasks', {
      params: { query: { due_before: new Date(Date.now() + 7 * 864e5).toISOString(), status: 'todo' } },
    });
    assert.equal(day.response.status, 200);
    assert.ok(day.data?.items.every((x) => x.status === 'todo'));
    const after = await a.GET('/v1/customers/{id}/service-plan', { params: { path: { id: cid } } });
    assert.equal(after.data?.steps.find((s) => s.id === step.id)?.status, 'done');
  });

  let complaintId = '';
  await t.test('a complaint through its workflow; an illegal transition refused', async () => {
    const c = await a.POST('/v1/complaints', {
      body: { customer_id: cid, category: 'claim_timeliness', severity: 'medium', summary: '理赔进度慢' },
    });
    assert.equal(c.response.status, 201, JSON.stringify(c.error));
    complaintId = c.data!.id;
    assert.equal(c.data?.status, 'received');
    problem(await a.PATCH('/v1/complaints/{id}', {
      params: { path: { id: complaintId } }, body: { transition: 'close' },
    }), 409);
    for (const transition of ['acknowledge', 'investigate'] as const) {
      const r = await a.PATCH('/v1/complaints/{id}', { params: { path: { id: complaintId } }, body: { transition } });
      assert.equal(r.response.status, 200, JSON.stringify(r.error));
    }
    const resolved = await a.PATCH('/v1/complaints/{id}', {
      params: { path: { id: complaintId } },
      body: { transition: 'resolve', resolution: '已加急处理', root_cause: '材料流转慢', corrective_action: '材料电子化' },
    });
    assert.equal(resolved.response.status, 200, JSON.stringify(resolved.error));
    assert.equal(resolved.data?.status, 'resolved');
    assert.ok(resolved.data?.sla);
  });

  await t.test('a claim: accepted first, documents later, decided, paid, closed; its events', async () => {
    const pol = await a.GET('/v1/policies', { params: { query: { customer_id: cid, limit: 1 } } });
    assert.equal(pol.response.status, 200);
    assert.ok(pol.data && pol.data.items.length > 0, 'the customer holds a policy');
    const c = await a.POST('/v1/claims', {
      body: { customer_id: cid, policy_id: pol.data.items[0]!.id, description: '住院医疗理赔', amount_claimed_cents: 1_250_000 },
    });
    assert.equal(c.response.status, 201, JSON.stringify(c.error));
    const id = c.data!.id;
    problem(await a.PATCH('/v1/claims/{id}', { params: { path: { id } }, body: { transition: 'pay', amount_paid_cents: 1 } }), 409);
    const steps: Schemas['ClaimUpdate'][] = [
      { transition: 'accept', note: '先受理，材料后补' },
      { transition: 'documents_complete' },
      { transition: 'decide', decision: 'approved' },
      { transition: 'pay', amount_paid_cents: 1_200_000 },
      { transition: 'close' },
    ];
    for (const body of steps) {
      const r = await a.PATCH('/v1/claims/{id}', { params: { path: { id } }, body });
      assert.equal(r.response.status, 200, `${body.transition}: ${JSON.stringify(r.error)}`);
    }
    const ev = await a.GET('/v1/claims/{id}/events', { params: { path: { id } } });
    assert.equal(ev.response.status, 200);
    assert.ok(ev.data && ev.data.items.length >= steps.length);
  });

  await t.test('an NPS answer', async () => {
    const r = await a.POST('/v1/customers/{id}/nps', { params: { path: { id: cid } }, body: { score: 9, comment: '服务及时' } });
    assert.equal(r.response.status, 201, JSON.stringify(r.error));
    problem(await direct.POST('/v1/customers/{id}/nps', { params: { path: { id: cid } }, body: { score: 11 } }), 400);
  });

  await t.test('a device for pushes, the inbox', async () => {
    const token = `fcm-${randomUUID()}`;
    const d = await a.POST('/v1/devices', {
      body: { token, platform: 'android', app_version: '1.4.0', locale: 'zh-CN', time_zone: 'Asia/Shanghai' },
    });
    assert.equal(d.response.status, 201, JSON.stringify(d.error));
    const again = await a.POST('/v1/devices', { body: { token, platform: 'android' } });
    assert.equal(again.response.status, 200, JSON.stringify(again.error));
    const inbox = await a.GET('/v1/notifications', { params: { query: { limit: 20 } } });
    assert.equal(inbox.response.status, 200);
    const del = await a.DELETE('/v1/devices/{id}', { params: { path: { id: d.data!.id } } });
    assert.equal(del.response.status, 204);
  });

  await t.test("the lead's KPI report, as JSON and as CSV, and the reminder report", async () => {
    const from = new Date(Date.now() - 90 * 864e5).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 864e5).toISOString().slice(0, 10);
    const r = await lead.api.GET('/v1/reports/kpis', { params: { query: { from, to } } });
    assert.equal(r.response.status, 200, JSON.stringify(r.error));
    const report = r.data as Schemas['KpiReport'];
    assert.ok(report.kpis.length >= 10);
    for (const k of report.kpis) assert.ok(k.target !== undefined && k.key, JSON.stringify(k));
    const csv = await conformantFetch(`${baseUrl}/v1/reports/kpis?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${lead.tokens.access_token}`, accept: 'text/csv' },
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.ok((await csv.text()).split('\n').length > 10);
    const rem = await lead.api.GET('/v1/reports/reminders', { params: { query: { from, to } } });
    assert.equal(rem.response.status, 200, JSON.stringify(rem.error));
    // An agent sees only the own report; another team's is not theirs.
    problem(await a.GET('/v1/reports/kpis', { params: { query: { from, to, team_id: randomUUID() } } }), 403);
  });

  await t.test('admin: a toolkit draft published, the lead sees the complaint, the audit trail', async () => {
    const key = `wd-${randomUUID().slice(0, 8)}`;
    const body: Schemas['ToolkitItemCreate'] = {
      key, kind: 'checklist', scenario: 'complaint', tier: 'basic', locale: 'zh-CN', title: '投诉回访清单',
      content: { items: [{ key: 'call', label: '24 小时内致电 {customer.name}', required: true }] },
    };
    const draft = await admin.api.POST('/v1/toolkit/items', { body });
    assert.equal(draft.response.status, 201, JSON.stringify(draft.error));
    assert.equal(draft.data?.status, 'draft');
    problem(await a.POST('/v1/toolkit/items', { body: { ...body, key: `${key}-x` } }), 403);
    const pub = await admin.api.POST('/v1/toolkit/items/{id}/publish', { params: { path: { id: draft.data!.id } } });
    assert.equal(pub.response.status, 200, JSON.stringify(pub.error));
    assert.equal(pub.data?.status, 'published');
    const seen = await a.GET('/v1/toolkit/items/{id}', { params: { path: { id: draft.data!.id } } });
    assert.equal(seen.response.status, 200);
    const rules = await admin.api.GET('/v1/plan-rules', { params: { query: { limit: 50 } } });
    assert.equal(rules.response.status, 200);
    assert.ok(rules.data && rules.data.items.length >= 9);
    const cmp = await lead.api.GET('/v1/complaints/{id}', { params: { path: { id: complaintId } } });
    assert.equal(cmp.response.status, 200);
    const audit = await admin.api.GET('/v1/audit', { params: { query: { limit: 20 } } });
    assert.equal(audit.response.status, 200);
    problem(await a.GET('/v1/audit', { params: { query: {} } }), 403);
  });

  await t.test('the token pair: refresh rotates, reuse is refused, logout ends the session', async () => {
    const anon = createAgentDesk({ baseUrl, fetch });
    const r = await anon.POST('/v1/auth/refresh', { body: { refresh_token: agent.tokens.refresh_token } });
    assert.equal(r.response.status, 200, JSON.stringify(r.error));
    agent.setAccess(r.data!.access_token);
    assert.equal((await a.GET('/v1/me')).response.status, 200);
    problem(await anon.POST('/v1/auth/refresh', { body: { refresh_token: agent.tokens.refresh_token } }), 401);
    const out = await anon.POST('/v1/auth/logout', { body: { refresh_token: r.data!.refresh_token } });
    assert.equal(out.response.status, 204);
    problem(await anon.POST('/v1/auth/refresh', { body: { refresh_token: r.data!.refresh_token } }), 401);
    problem(await anon.POST('/v1/auth/login', { body: { username: 'agent1', password: 'wrong' } }), 401);
  });
});
