#!/usr/bin/env node
// Self-test of the contract check (validate.mjs): feeds it exchanges whose
// verdict is known (a valid response passes; an undocumented member, an
// undocumented status, an unknown path or method, a wrong content type, a
// malformed problem body fail) and runs the command line on temporary
// exchange directories, including an empty one, which must fail. Also checks
// that every example in the OpenAPI document satisfies its own schema.
//
//   node tests/js/contract/selftest.mjs [openapi.yaml]
//
// Exits non-zero on any surprise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildContract, loadDocument, validateExchanges } from './validate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const specPath = path.resolve(process.argv[2] ?? path.join(here, '../../../schema/openapi.yaml'));
const validator = path.join(here, 'validate.mjs');

const doc = loadDocument(specPath);
const contract = buildContract(doc);

let surprises = 0;
let checks = 0;
function expect(label, condition, detail = '') {
  checks++;
  if (!condition) {
    surprises++;
    console.log(`SURPRISE: ${label}${detail ? `\n    ${detail}` : ''}`);
  }
}

const RID = 'req_0123456789abcdef01234567';
const CID = 'cus_0123456789abcdef0123456789abcdef';
const masked = () => ({
  id: CID,
  email: 'j•••@e•••.com',
  phone: '•••-•••-0101',
  name: 'J••• E•••',
  created_at: 1767225600,
  updated_at: 1767225600,
  access: { email: 'masked', phone: 'masked', name: 'masked' },
});
const problem = (status, code, extra = {}) => ({
  type: 'about:blank',
  title: 'Whatever',
  status,
  code,
  detail: 'something went wrong',
  request_id: RID,
  ...extra,
});
const ex = (method, p, status, body, contentType = body === null ? '' : 'application/json', headers) => {
  const e = { method, path: p, status, content_type: contentType, body };
  if (headers) e.headers = headers;
  return e;
};
const pj = 'application/problem+json';

// [label, exchange, should pass, (optional) substring expected in an error]
const cases = [
  ['healthz 200', ex('GET', '/healthz', 200, { status: 'ok' }), true],
  ['healthz with a wrong status value', ex('GET', '/healthz', 200, { status: 'fine' }), false, 'must be "ok"'],
  ['HEAD healthz, no body', ex('HEAD', '/healthz', 200, null, 'application/json'), true],
  ['marketing export as CSV', ex('POST', '/v1/exports/marketing', 200, null, 'text/csv; charset=utf-8'), true],
  ['metrics are not on the API port', ex('GET', '/metrics', 200, null, 'text/plain; version=0.0.4'), false],
  ['search result', ex('POST', '/v1/customers/search', 200, { matches: [masked()] }), true],
  ['empty search result', ex('POST', '/v1/customers/search', 200, { matches: [] }), true],
  [
    'search result with an undocumented member in a customer',
    ex('POST', '/v1/customers/search', 200, { matches: [{ ...masked(), email_plain: 'jane@example.com' }] }),
    false,
    'undocumented member "email_plain"',
  ],
  [
    'search result with an undocumented top-level member',
    ex('POST', '/v1/customers/search', 200, { matches: [], total: 0 }),
    false,
    'undocumented member "total"',
  ],
  [
    'customer without its access levels',
    ex('GET', `/v1/customers/${CID}`, 200, (({ access, ...rest }) => rest)(masked())),
    false,
    "must have required property 'access'",
  ],
  ['customer with a bad id', ex('GET', `/v1/customers/${CID}`, 200, { ...masked(), id: 'cus_XYZ' }), false],
  ['create 201', ex('POST', '/v1/customers', 201, masked()), true],
  ['create answered 200 (undocumented status)', ex('POST', '/v1/customers', 200, masked()), false, 'status 200 is not documented'],
  ['healthz 404 (undocumented status)', ex('GET', '/healthz', 404, problem(404, 'x'), pj), false, 'not documented'],
  ['create 409 problem', ex('POST', '/v1/customers', 409, problem(409, 'duplicate_email'), pj), true],
  ['create 422 idempotency_key_reused', ex('POST', '/v1/customers', 422, problem(422, 'idempotency_key_reused'), pj), true],
  ['create 422 with another code', ex('POST', '/v1/customers', 422, problem(422, 'invalid_json'), pj), false, 'must be "idempotency_key_reused"'],
  ['search 422 (no Idempotency-Key there, undocumented)', ex('POST', '/v1/customers/search', 422, problem(422, 'idempotency_key_reused'), pj), false, 'status 422 is not documented'],
  ['create 429 lookup_rate_limited', ex('POST', '/v1/customers', 429, problem(429, 'lookup_rate_limited'), pj), true],
  ['batch 200', ex('POST', '/v1/customers/batch', 200, {
    results: [
      { index: 0, status: 201, created: true, customer: masked() },
      { index: 1, status: 409, error: { code: 'duplicate_email', detail: 'exists already' } },
    ],
    succeeded: 1, failed: 1,
  }), true],
  ['batch item failure with a customer', ex('POST', '/v1/customers/batch', 200, {
    results: [{ index: 0, status: 409, error: { code: 'duplicate_email', detail: 'x' }, customer: masked() }],
    succeeded: 0, failed: 1,
  }), false],
  ['batch is not GET {id}', ex('POST', '/v1/customers/batch', 201, masked()), false, 'status 201 is not documented'],
  ['key rotation none', ex('GET', '/v1/admin/keys/rotation', 200, { state: 'none' }), true],
  ['key destroy 204', ex('POST', '/v1/admin/keys/3/destroy', 204, null, ''), true],
  ['key destroy 409 key_in_use', ex('POST', '/v1/admin/keys/3/destroy', 409, problem(409, 'key_in_use'), pj), true],
  ['marketing export as CSV', ex('POST', '/v1/exports/marketing', 200, null, 'text/csv; charset=utf-8'), true],
  ['marketing export as JSON', ex('POST', '/v1/exports/marketing', 200, { rows: [] }), false, 'is not documented'],
  ['web root as HTML', ex('GET', '/', 200, null, 'text/html; charset=utf-8'), true],
  ['web script', ex('GET', '/app.js', 200, null, 'text/javascript; charset=utf-8'), true],
  ['web script served as HTML', ex('GET', '/app.js', 200, null, 'text/html; charset=utf-8'), false, 'is not documented'],
  [
    'problem without request_id',
    ex('POST', '/v1/customers', 400, (({ request_id, ...rest }) => rest)(problem(400, 'invalid_json')), pj),
    false,
    "required property 'request_id'",
  ],
  ['problem with an extra member', ex('POST', '/v1/customers', 400, problem(400, 'invalid_json', { errors: [] }), pj), false, 'undocumented member "errors"'],
  ['problem whose status disagrees with HTTP', ex('POST', '/v1/customers', 400, problem(404, 'invalid_json'), pj), false, 'must be 400'],
  ['problem with a non-snake_case code', ex('POST', '/v1/customers', 400, problem(400, 'Invalid JSON'), pj), false],
  ['500 must hide its code', ex('GET', `/v1/customers/${CID}`, 500, problem(500, 'storage_corrupt'), pj), false, 'must be "internal"'],
  ['500 generic', ex('GET', `/v1/customers/${CID}`, 500, problem(500, 'internal'), pj), true],
  ['problem sent as application/json', ex('POST', '/v1/customers', 400, problem(400, 'invalid_json'), 'application/json'), false, 'is not documented'],
  ['JSON response without a body', ex('POST', '/v1/customers', 201, null, 'application/json'), false, 'missing or not JSON'],
  ['unknown path', ex('GET', '/v1/nothing', 404, problem(404, 'route_not_found'), pj), false, 'no documented path'],
  ['unknown method', ex('PUT', '/v1/customers', 404, problem(404, 'route_not_found'), pj), false, 'PUT is not documented'],
  ['query string ignored in path', ex('GET', '/v1/audit?limit=3', 200, { entries: [], next_cursor: null }), true],
  ['literal path preferred: GET /v1/customers/search is GET {id}', ex('GET', '/v1/customers/search', 404, problem(404, 'customer_not_found'), pj), true],
  ['find-or-create 201 created', ex('POST', '/v1/customers/find-or-create', 201, { customer: masked(), created: true }), true],
  ['find-or-create 200 found', ex('POST', '/v1/customers/find-or-create', 200, { customer: masked(), created: false }), true],
  ['find-or-create 201 but created false', ex('POST', '/v1/customers/find-or-create', 201, { customer: masked(), created: false }), false, 'must be true'],
  ['logout 204 without a body', ex('POST', '/v1/auth/logout', 204, null, ''), true],
  ['logout 204 with a body', ex('POST', '/v1/auth/logout', 204, { ok: true }), false, 'documents none'],
  ['revoke 204', ex('DELETE', '/v1/admin/tokens/0123456789abcdef', 204, null, ''), true],
  ['reveal', ex('POST', `/v1/customers/${CID}/reveal`, 200, { id: CID, values: { phone: '+16135550101' }, quota_remaining: 3 }), true],
  ['reveal of an unknown field', ex('POST', `/v1/customers/${CID}/reveal`, 200, { id: CID, values: { ssn: '000' }, quota_remaining: 3 }), false, 'undocumented member "ssn"'],
  ['audit verify intact', ex('GET', '/v1/audit/verify', 200, { entries: 3, intact: true, message: '3 entries, chain intact' }), true],
  ['audit verify intact with a broken seq', ex('GET', '/v1/audit/verify', 200, { entries: 3, intact: true, message: 'x', first_broken_seq: 2 }), false],
  ['token issued', ex('POST', '/v1/admin/tokens', 201, {
    id: '0123456789abcdef', kind: 'service', description: '', created_at: 1767225600000,
    expires_at: null, revoked_at: null,
    token: 'cvk_0123456789abcdef_EXAMPLEsecretEXAMPLEsecretEXAMPLEsecret0000',
  }), true],
  ['token listing that leaks the secret', ex('GET', '/v1/admin/tokens', 200, { tokens: [{
    id: '0123456789abcdef', kind: 'service', description: '', created_at: 1767225600000,
    expires_at: null, revoked_at: null,
    token: 'cvk_0123456789abcdef_EXAMPLEsecretEXAMPLEsecretEXAMPLEsecret0000',
  }] }), false, 'undocumented member "token"'],
  ['headers: a good X-Request-Id', ex('GET', '/healthz', 200, { status: 'ok' }, 'application/json', { 'x-request-id': RID }), true],
  ['headers: X-Request-Id missing', ex('GET', '/healthz', 200, { status: 'ok' }, 'application/json', { 'content-type': 'application/json' }), false, 'X-Request-Id'],
  ['headers: X-Request-Id malformed', ex('GET', '/healthz', 200, { status: 'ok' }, 'application/json', { 'X-Request-Id': 'abc' }), false, 'header X-Request-Id'],
  ['401 without WWW-Authenticate', ex('GET', '/v1/auth/me', 401, problem(401, 'unauthenticated'), pj, { 'X-Request-Id': RID }), false, 'WWW-Authenticate'],
  ['malformed exchange', { path: '/healthz' }, false],
];

for (const [label, exchange, shouldPass, expectedError] of cases) {
  const result = contract.check(exchange);
  expect(
    `${label}: expected ${shouldPass ? 'pass' : 'fail'}, got ${result.ok ? 'pass' : 'fail'}`,
    result.ok === shouldPass,
    result.errors.join('; '),
  );
  if (!shouldPass && expectedError) {
    expect(
      `${label}: expected an error mentioning ${JSON.stringify(expectedError)}`,
      result.errors.some((e) => e.includes(expectedError)),
      result.errors.join('; '),
    );
  }
}

// Every example in the document satisfies the schema it illustrates.
const examples = contract.examples();
expect('the document has examples to check', examples.length > 20, `found ${examples.length}`);
examples.forEach(({ where, schema, value }, i) => {
  const errors = contract.validateValue(schema, value, `example ${i}`);
  expect(`example at ${where} fits its schema`, errors.length === 0, errors.join('; '));
});

// Every documented operation lists 4xx responses and X-Request-Id on each response.
for (const [template, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (!op || typeof op !== 'object' || !op.responses) continue;
    for (const [status, raw] of Object.entries(op.responses)) {
      const response = raw.$ref
        ? raw.$ref.split('/').slice(1).reduce((n, t) => n[t], doc)
        : raw;
      expect(
        `${method.toUpperCase()} ${template} ${status} documents X-Request-Id`,
        Boolean(response.headers?.['X-Request-Id']),
      );
    }
  }
}

// The command line over exchange directories.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-contract-'));
const line = (e) => JSON.stringify(e) + '\n';
function runCli(dir) {
  const r = spawnSync(process.execPath, [validator, specPath, dir], { encoding: 'utf8' });
  const lines = r.stdout.trimEnd().split('\n');
  return { code: r.status, last: lines[lines.length - 1], stdout: r.stdout, stderr: r.stderr };
}
try {
  const good = path.join(tmp, 'good');
  fs.mkdirSync(good);
  fs.writeFileSync(path.join(good, '101.jsonl'),
    line(ex('GET', '/healthz', 200, { status: 'ok' })) +
    line(ex('POST', '/v1/customers/search', 200, { matches: [masked()] })));
  fs.writeFileSync(path.join(good, '102.jsonl'), '\n' + line(ex('POST', '/v1/auth/logout', 204, null, '')));
  fs.writeFileSync(path.join(good, 'ignored.txt'), 'not an exchange file\n');
  let r = runCli(good);
  expect('CLI: all-valid directory exits 0', r.code === 0, r.stdout + r.stderr);
  expect('CLI: all-valid directory ends "3 passed, 0 failed"', r.last === '3 passed, 0 failed', r.last);

  const bad = path.join(tmp, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, '201.jsonl'),
    line(ex('GET', '/healthz', 200, { status: 'ok' })) +
    line(ex('POST', '/v1/customers/search', 200, { matches: [], extra: true })) +
    line(ex('GET', '/healthz', 418, null, '')) +
    '{not json\n');
  r = runCli(bad);
  expect('CLI: failing directory exits 1', r.code === 1, r.stdout + r.stderr);
  expect('CLI: failing directory ends "1 passed, 3 failed"', r.last === '1 passed, 3 failed', r.last);
  expect('CLI: failures name file and line', r.stdout.includes('FAIL 201.jsonl:2') && r.stdout.includes('FAIL 201.jsonl:4'), r.stdout);

  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  r = runCli(empty);
  expect('CLI: empty directory exits 1', r.code === 1, r.stdout + r.stderr);
  expect('CLI: empty directory ends "0 passed, 0 failed"', r.last === '0 passed, 0 failed', r.last);
  r = runCli(path.join(tmp, 'missing'));
  expect('CLI: missing directory exits 1', r.code === 1, r.stdout + r.stderr);

  r = spawnSync(process.execPath, [validator, specPath], { encoding: 'utf8' });
  expect('CLI: wrong usage exits non-zero', r.status !== 0);

  const api = validateExchanges(specPath, good);
  expect('validateExchanges counts', api.passed === 3 && api.failed === 0, JSON.stringify(api));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`contract self-test: ${checks - surprises} of ${checks} checks as expected`);
process.exitCode = surprises === 0 ? 0 : 1;
