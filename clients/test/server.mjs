// Starts a real AgentDesk server for a test: the binary built from this
// checkout, on an empty SQLite database in a temporary directory, with the
// demo data set, listening on a free loopback port.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let binary;

// build compiles the server once per test process.
function build() {
  if (binary && existsSync(binary)) return binary;
  const dir = mkdtempSync(join(tmpdir(), 'agentdesk-bin-'));
  binary = join(dir, 'agentdesk');
  execFileSync('go', ['build', '-o', binary, './cmd/agentdesk'], { cwd: root, stdio: 'inherit' });
  return binary;
}

export const DEMO_PASSWORD = 'demo-password-for-client-tests';

// startServer starts a server and resolves to {url, stop, login}.
// env adds environment variables (for example AGENTDESK_RATE_LIMIT).
// prism: true puts a Prism validation proxy (prism proxy openapi.yaml
// <server> --errors) in front of the server: url is then the proxy's, and
// directUrl the server's. Drive it with conformantFetch (./conformance.mjs),
// which fails on any violation Prism reports.
export async function startServer({ env = {}, prism = false } = {}) {
  const bin = build();
  const dataDir = mkdtempSync(join(tmpdir(), 'agentdesk-data-'));
  const child = spawn(bin, ['serve', '--demo', '--addr', '127.0.0.1:0'], {
    cwd: dataDir,
    env: {
      ...process.env,
      AGENTDESK_DATA_DIR: dataDir,
      AGENTDESK_DEMO_PASSWORD: DEMO_PASSWORD,
      AGENTDESK_LOG_LEVEL: 'warn',
      // The clients drive many requests in a burst.
      AGENTDESK_RATE_LIMIT: '10000',
      AGENTDESK_RATE_BURST: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (b) => { log += b; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start in 120 s:\n${out}\n${log}`)), 120_000);
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}:\n${out}\n${log}`)); });
  });
  // Wait until the demo data set is in (the server listens before the
  // background recompute ends, but the data set is loaded before listen).
  await waitReady(url);
  let proxy;
  if (prism) {
    try {
      proxy = await startPrism(url);
    } catch (err) {
      await stopChild(child);
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const stop = async () => {
    if (proxy) await proxy.stop();
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const base = proxy ? proxy.url : url;
  return {
    url: base,
    directUrl: url,
    stop,
    login: (username, password = DEMO_PASSWORD) => login(base, username, password),
    log: () => log + (proxy ? proxy.log() : ''),
  };
}

async function stopChild(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  }
}

// freePort asks the kernel for a free loopback port.
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// startPrism starts `prism proxy openapi.yaml <upstream> --errors` on a
// free loopback port (the pinned @stoplight/prism-cli devDependency).
// Exported for the conformance wrapper's own test.
export async function startPrism(upstream) {
  const prismBin = join(root, 'clients', 'node_modules', '.bin', 'prism');
  if (!existsSync(prismBin)) throw new Error(`prism not installed (${prismBin}): run npm ci in clients/`);
  const port = await freePort();
  const child = spawn(prismBin, ['proxy', join(root, 'openapi.yaml'), upstream, '--errors',
    '--host', '127.0.0.1', '--port', String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (b) => { log += b; });
  child.stderr.on('data', (b) => { log += b; });
  const url = `http://127.0.0.1:${port}`;
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`prism did not start in 120 s:\n${log}`)), 120_000);
    const onData = () => {
      if (/Prism is listening on/.test(log)) { clearTimeout(timer); ok(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`prism exited with ${code}:\n${log}`)); });
  });
  return { url, stop: () => stopChild(child), log: () => log };
}

async function waitReady(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('server not ready');
}

// login returns an access token of a demo account.
export async function login(url, username, password = DEMO_PASSWORD) {
  const r = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}
