// conformantFetch is fetch for tests that run through the Prism validation
// proxy (startServer({prism: true})): it throws on any contract violation
// Prism reports, so a test cannot pass over one.
//
// - `sl-violations` header: Prism found the response (or request) outside
//   openapi.yaml but let it through, e.g. an undocumented status code;
// - a Prism-originated error (problem type https://stoplight.io/prism/errors#…):
//   with --errors a response that violates its schema becomes a 500 of Prism,
//   and Prism answers 401/404/422 itself for requests the contract refuses;
// - a response without the server's X-Request-ID header: Prism answered by
//   itself, e.g. with a mock (prism proxy mocks whatever the upstream answers
//   501), so the server's real answer was never checked.
export const PRISM_ERROR = 'https://stoplight.io/prism/errors#';

export class ContractViolation extends Error {
  constructor(message, details) {
    super(message);
    this.name = 'ContractViolation';
    this.details = details;
  }
}

export async function conformantFetch(input, init) {
  const req = input instanceof Request ? input : new Request(input, init);
  const method = req.method;
  const target = new URL(req.url);
  const where = `${method} ${target.pathname}${target.search}`;
  const res = await fetch(req);
  const violations = res.headers.get('sl-violations');
  if (violations) {
    throw new ContractViolation(`${where} → ${res.status}: Prism reports violations: ${violations}`, safeJSON(violations));
  }
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json') && res.status >= 400) {
    const body = await res.clone().text();
    const problem = safeJSON(body);
    if (problem && typeof problem.type === 'string' && problem.type.startsWith(PRISM_ERROR)) {
      throw new ContractViolation(`${where} → ${res.status}: Prism refused: ${body}`, problem);
    }
  }
  if (!res.headers.get('x-request-id')) {
    throw new ContractViolation(`${where} → ${res.status}: answered by Prism, not by the server (no X-Request-ID; ` +
      'Prism mocks an upstream 501): the server\'s answer was not checked');
  }
  return res;
}

function safeJSON(s) {
  try { return JSON.parse(s); } catch { return undefined; }
}
