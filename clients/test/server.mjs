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
export async function startServer({ env = {} } = {}) {
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
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, stop, login: (username, password = DEMO_PASSWORD) => login(url, username, password), log: () => log };
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
