#!/usr/bin/env node
// The OpenAPI contract check: holds every HTTP response the integration tests
// received to schema/openapi.yaml.
//
//   node tests/js/contract/validate.mjs <openapi.yaml> <exchanges-dir>
//
// <exchanges-dir> holds one or more *.jsonl files (one per test process), one
// JSON object per line:
//   {"method": "POST", "path": "/v1/customers/search", "status": 200,
//    "content_type": "application/json", "body": {...} | null,
//    "headers": {"X-Request-Id": "..."}}          (headers: optional)
// `path` is the literal path without the query string; `body` is the parsed
// JSON body, or null when there was none or it was not JSON.
//
// For each exchange: the method and path must match a documented operation
// (path templates become regexes; literal paths win over templated ones); the
// status must be documented for that operation; the content type must be one
// the response documents (or none, for a response without content); and a
// JSON body must validate against the documented schema with Ajv (JSON Schema
// 2020-12, as OpenAPI 3.1 uses). The document's schemas say
// additionalProperties: false, so an undocumented member fails. When an
// exchange carries `headers`, required response headers are checked too.
//
// Prints each failure, a per-operation summary, and last a line exactly
// "N passed, M failed". Exits 1 if anything failed or nothing was checked.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const COMPONENTS_ID = 'urn:contact-vault:openapi-components';

// --- the document -----------------------------------------------------------

export function loadDocument(specPath) {
  const text = fs.readFileSync(specPath, 'utf8');
  const doc = YAML.parse(text);
  if (!doc || typeof doc !== 'object' || typeof doc.openapi !== 'string') {
    throw new Error(`${specPath}: not an OpenAPI document`);
  }
  if (!doc.openapi.startsWith('3.1')) {
    throw new Error(`${specPath}: OpenAPI ${doc.openapi}; this check reads 3.1 documents`);
  }
  return doc;
}

function decodePointerToken(token) {
  return decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
}

// The value at a local JSON pointer ("#/components/responses/NotFound").
function resolvePointer(doc, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) {
    throw new Error(`unsupported $ref ${JSON.stringify(ref)} (only local refs are resolved)`);
  }
  let node = doc;
  for (const token of ref.slice(2).split('/').map(decodePointerToken)) {
    if (node === null || typeof node !== 'object' || !(token in node)) {
      throw new Error(`unresolved $ref ${ref}`);
    }
    node = node[token];
  }
  return node;
}

// Follows $ref chains of non-schema objects (responses, headers, parameters).
function deref(doc, node) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    if (seen.has(node.$ref)) throw new Error(`$ref cycle at ${node.$ref}`);
    seen.add(node.$ref);
    node = resolvePointer(doc, node.$ref);
  }
  return node;
}

// A deep copy of a schema with references to #/components/schemas/... pointed
// at the components schema registered with Ajv; any other local ref is
// inlined (they are rare in schemas and never recursive here).
function rewriteSchemaRefs(doc, schema, depth = 0) {
  if (depth > 64) throw new Error('schema nested too deeply (a $ref cycle outside components?)');
  if (Array.isArray(schema)) return schema.map((s) => rewriteSchemaRefs(doc, s, depth + 1));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') {
      if (value.startsWith('#/components/schemas/')) {
        out.$ref = `${COMPONENTS_ID}#/$defs/${value.slice('#/components/schemas/'.length)}`;
      } else if (value.startsWith('#/')) {
        Object.assign(out, rewriteSchemaRefs(doc, resolvePointer(doc, value), depth + 1));
      } else {
        throw new Error(`unsupported $ref ${value}`);
      }
    } else if (key === 'example' || key === 'examples') {
      out[key] = value;  // data, not schema: leave refs-looking members alone
    } else {
      out[key] = rewriteSchemaRefs(doc, value, depth + 1);
    }
  }
  return out;
}

function newAjv() {
  const ajv = new Ajv2020({
    // Strict about the schemas themselves (unknown keywords, type mix-ups),
    // except `required` inside anyOf/oneOf branches naming members that the
    // parent defines: that is how "email or phone" is said.
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,  // type: [string, 'null'] is how 3.1 says nullable
    allErrors: true,
    validateFormats: true,
  });
  addFormats(ajv);
  // OpenAPI's own schema keywords: annotations, not assertions.
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  return ajv;
}

function pathRegex(template) {
  const names = [];
  const source = template
    .split('/')
    .map((segment) =>
      segment.replace(/\{([^}]+)\}|([^{]+)/g, (m, name, literal) => {
        if (name !== undefined) {
          names.push(name);
          return '([^/]+)';
        }
        return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }),
    )
    .join('/');
  return { regex: new RegExp(`^${source}$`), names };
}

function mediaTypeBase(contentType) {
  if (typeof contentType !== 'string') return '';
  return contentType.split(';')[0].trim().toLowerCase();
}

function isJsonMediaType(base) {
  return base === 'application/json' || /^application\/[^;]+\+json$/.test(base);
}

function describeAjvErrors(errors) {
  return (errors || []).map((e) => {
    const where = e.instancePath || '(body)';
    let what = e.message;
    if (e.keyword === 'additionalProperties') {
      what = `has undocumented member "${e.params.additionalProperty}"`;
    } else if (e.keyword === 'const') {
      what = `must be ${JSON.stringify(e.params.allowedValue)}`;
    } else if (e.keyword === 'enum') {
      what = `must be one of ${JSON.stringify(e.params.allowedValues)}`;
    }
    return `${where} ${what}`;
  });
}

// Compiles a document into a checker of single exchanges.
export function buildContract(doc) {
  const ajv = newAjv();
  const componentSchemas = doc.components?.schemas ?? {};
  const defs = {};
  for (const [name, schema] of Object.entries(componentSchemas)) {
    defs[name] = rewriteSchemaRefs(doc, schema);
  }
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: defs });

  const cache = new Map();
  const compile = (schema, key) => {
    if (!cache.has(key)) cache.set(key, ajv.compile(rewriteSchemaRefs(doc, schema)));
    return cache.get(key);
  };

  const routes = Object.entries(doc.paths ?? {}).map(([template, rawItem]) => {
    const item = deref(doc, rawItem);
    const { regex, names } = pathRegex(template);
    const literalSegments = template.split('/').filter((s) => s && !s.includes('{')).length;
    const operations = {};
    for (const method of METHODS) {
      if (item[method]) operations[method] = item[method];
    }
    return { template, regex, names, literalSegments, templated: names.length > 0, operations };
  });
  // Literal paths before templated ones; then the most literal segments first.
  routes.sort(
    (a, b) =>
      Number(a.templated) - Number(b.templated) ||
      b.literalSegments - a.literalSegments ||
      a.template.localeCompare(b.template),
  );

  const operationKey = (method, template) => `${method.toUpperCase()} ${template}`;

  // Finds the documented operation for a method and path.
  function findOperation(method, rawPath) {
    const p = String(rawPath).split('?')[0];
    let m = String(method).toLowerCase();
    const matching = routes.filter((r) => r.regex.test(p));
    if (matching.length === 0) return { error: `no documented path matches ${p}` };
    let route = matching.find((r) => r.operations[m]);
    if (!route && m === 'head') {
      // A HEAD is answered by the GET handler, without a body.
      route = matching.find((r) => r.operations.get);
      if (route) m = 'get';
    }
    if (!route) {
      const documented = [...new Set(matching.flatMap((r) => Object.keys(r.operations)))];
      return {
        error: `${method.toUpperCase()} is not documented for ${p} ` +
          `(documented: ${documented.map((x) => x.toUpperCase()).join(', ') || 'none'})`,
      };
    }
    return { route, method: m, operation: route.operations[m], key: operationKey(m, route.template) };
  }

  // Checks one exchange; returns {ok, key, errors}.
  function check(exchange) {
    try {
      return checkUnguarded(exchange);
    } catch (e) {
      // A schema Ajv cannot compile is a broken document: fail, loudly.
      return { ok: false, key: '(document)', errors: [`cannot check: ${e.message}`] };
    }
  }

  function checkUnguarded(exchange) {
    const errors = [];
    if (exchange === null || typeof exchange !== 'object' || Array.isArray(exchange)) {
      return { ok: false, key: '(malformed)', errors: ['the exchange is not a JSON object'] };
    }
    const { method, path: p, status, content_type: contentType, body } = exchange;
    if (typeof method !== 'string' || typeof p !== 'string' || !Number.isInteger(status)) {
      return {
        ok: false,
        key: '(malformed)',
        errors: ['the exchange needs a string "method", a string "path" and an integer "status"'],
      };
    }
    const found = findOperation(method, p);
    if (found.error) return { ok: false, key: `${method.toUpperCase()} ${p}`, errors: [found.error] };
    const { operation, key } = found;
    // A HEAD is answered like the GET, without the body.
    const head = method.toUpperCase() === 'HEAD';
    const responses = operation.responses ?? {};
    const statusKey = String(status);
    let rawResponse = responses[statusKey];
    let responseKey = statusKey;
    if (!rawResponse) {
      const range = `${statusKey[0]}XX`;
      rawResponse = responses[range] ?? responses[range.toLowerCase()];
      responseKey = range;
    }
    if (!rawResponse) {
      const documented = Object.keys(responses).join(', ');
      return {
        ok: false,
        key,
        status,
        errors: [`status ${status} is not documented (documented: ${documented})`],
      };
    }
    const response = deref(doc, rawResponse);
    const content = response.content ?? {};
    const base = mediaTypeBase(contentType);
    const mediaTypes = Object.keys(content);

    if (mediaTypes.length === 0) {
      if (body !== null && body !== undefined) errors.push('has a body, but the response documents none');
      if (base) errors.push(`has Content-Type ${contentType}, but the response documents no content`);
    } else if (!base) {
      errors.push(`has no Content-Type; documented: ${mediaTypes.join(', ')}`);
    } else {
      const mediaKey =
        mediaTypes.find((t) => mediaTypeBase(t) === base) ??
        mediaTypes.find((t) => t.endsWith('/*') && base.startsWith(t.slice(0, -1))) ??
        mediaTypes.find((t) => t === '*/*');
      if (!mediaKey) {
        errors.push(`Content-Type ${contentType} is not documented (documented: ${mediaTypes.join(', ')})`);
      } else {
        const schema = content[mediaKey].schema;
        const json = isJsonMediaType(base);
        if (head) {
          if (body !== null && body !== undefined) errors.push('is the answer to a HEAD but has a body');
        } else if (json && (body === null || body === undefined)) {
          errors.push(`is ${base} but the body is missing or not JSON`);
        } else if (schema && (json || typeof body === 'string')) {
          const validate = compile(schema, `${key} ${responseKey} ${mediaKey}`);
          if (!validate(body)) errors.push(...describeAjvErrors(validate.errors));
        }
      }
    }

    if (exchange.headers && typeof exchange.headers === 'object') {
      const given = Object.fromEntries(
        Object.entries(exchange.headers).map(([k, v]) => [k.toLowerCase(), v]),
      );
      for (const [name, rawHeader] of Object.entries(response.headers ?? {})) {
        const header = deref(doc, rawHeader);
        const value = given[name.toLowerCase()];
        if (value === undefined || value === null) {
          if (header.required) errors.push(`lacks the required header ${name}`);
          continue;
        }
        if (header.schema) {
          const validate = compile(header.schema, `header ${key} ${responseKey} ${name}`);
          if (!validate(String(value))) {
            errors.push(...describeAjvErrors(validate.errors).map((e) => `header ${name}: ${e}`));
          }
        }
      }
    }
    return { ok: errors.length === 0, key, status, errors };
  }

  function allOperations() {
    const out = [];
    for (const r of routes) {
      for (const [m, op] of Object.entries(r.operations)) {
        out.push({ key: operationKey(m, r.template), statuses: Object.keys(op.responses ?? {}) });
      }
    }
    return out;
  }

  // Every example the document gives for a response or request body, with the
  // schema it should satisfy (for the self-test: a wrong example is a wrong
  // document).
  function examples() {
    const out = [];
    const fromMedia = (where, media) => {
      if (!media?.schema) return;
      if (media.example !== undefined) out.push({ where, schema: media.schema, value: media.example });
      for (const [name, ex] of Object.entries(media.examples ?? {})) {
        const resolved = deref(doc, ex);
        if (resolved && 'value' in resolved) {
          out.push({ where: `${where} (${name})`, schema: media.schema, value: resolved.value });
        }
      }
    };
    for (const r of routes) {
      for (const [m, op] of Object.entries(r.operations)) {
        const key = operationKey(m, r.template);
        const requestBody = deref(doc, op.requestBody);
        for (const [type, media] of Object.entries(requestBody?.content ?? {})) {
          fromMedia(`${key} request ${type}`, media);
        }
        for (const [status, raw] of Object.entries(op.responses ?? {})) {
          const response = deref(doc, raw);
          for (const [type, media] of Object.entries(response.content ?? {})) {
            if (isJsonMediaType(mediaTypeBase(type))) fromMedia(`${key} ${status} ${type}`, media);
          }
        }
      }
    }
    return out;
  }

  function validateValue(schema, value, cacheKey) {
    const validate = compile(schema, cacheKey);
    return validate(value) ? [] : describeAjvErrors(validate.errors);
  }

  return { check, findOperation, allOperations, examples, validateValue };
}

// --- exchanges ---------------------------------------------------------------

// Reads every *.jsonl file of `dir`; returns [{source, exchange | parseError}].
export function readExchanges(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  for (const file of files) {
    const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const source = `${file}:${i + 1}`;
      try {
        out.push({ source, exchange: JSON.parse(line) });
      } catch (e) {
        out.push({ source, parseError: `not JSON: ${e.message}` });
      }
    });
  }
  return out;
}

// Validates every exchange in `dir` against the document at `specPath`.
// Returns {passed, failed, failures, coverage, operations}.
export function validateExchanges(specPath, dir) {
  const contract = buildContract(loadDocument(specPath));
  const entries = readExchanges(dir);
  let passed = 0;
  let failed = 0;
  const failures = [];
  const coverage = new Map();  // operation key -> Map(status -> count)
  for (const { source, exchange, parseError } of entries) {
    if (parseError) {
      failed++;
      failures.push({ source, summary: '(unreadable line)', errors: [parseError] });
      continue;
    }
    const result = contract.check(exchange);
    if (result.ok) {
      passed++;
      if (!coverage.has(result.key)) coverage.set(result.key, new Map());
      const byStatus = coverage.get(result.key);
      byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
    } else {
      failed++;
      const summary = `${String(exchange?.method ?? '?').toUpperCase()} ${exchange?.path ?? '?'} -> ${exchange?.status ?? '?'}`;
      failures.push({ source, summary, errors: result.errors });
    }
  }
  return { passed, failed, failures, coverage, operations: contract.allOperations() };
}

function report({ passed, failed, failures, coverage, operations }, dir) {
  const lines = [];
  for (const f of failures) {
    lines.push(`FAIL ${f.source} ${f.summary}`);
    for (const e of f.errors) lines.push(`       ${e}`);
  }
  if (failures.length) lines.push('');
  lines.push(`Responses checked per operation (status: count):`);
  for (const op of operations) {
    const seen = coverage.get(op.key);
    const detail = seen
      ? [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ')
      : 'none';
    lines.push(`  ${op.key.padEnd(40)} ${detail}`);
  }
  const exercised = operations.filter((op) => coverage.has(op.key)).length;
  lines.push(`${exercised} of ${operations.length} documented operations exercised`);
  if (passed + failed === 0) {
    lines.push(`no exchanges found in ${dir}: a contract check that checked nothing fails`);
  }
  lines.push(`${passed} passed, ${failed} failed`);
  return lines.join('\n');
}

function main(argv) {
  if (argv.length !== 2) {
    process.stderr.write('usage: node validate.mjs <openapi.yaml> <exchanges-dir>\n');
    return 2;
  }
  const [specPath, dir] = argv;
  let result;
  try {
    result = validateExchanges(specPath, dir);
  } catch (e) {
    process.stderr.write(`contract check cannot run: ${e.message}\n`);
    process.stdout.write('0 passed, 1 failed\n');
    return 1;
  }
  process.stdout.write(report(result, dir) + '\n');
  return result.failed > 0 || result.passed === 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
