// Browser tests of the staff web form (server/web/), run by ctest as
//   node tests/js/browser/run.mjs        (from the repository root)
// with VAULT_BINARY_DIR=<build dir>. Builds a fresh vault in a temp dir
// (init, dev-cert, dev-accounts), starts contact-vault-server on a free port,
// and drives Debian's chromium through playwright-core (never a downloaded
// browser). Each test fails on any console error, page error, failed request,
// response >= 500, or a 4xx the test did not expect. Screenshots of every page
// in both languages land in $VAULT_BINARY_DIR/browser-artifacts/. Prints
// "N passed, M failed" last and exits non-zero on any failure; the server is
// stopped with SIGTERM whatever happens.
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';

const execFileAsync = promisify(execFile);

const BINARY_DIR = process.env.VAULT_BINARY_DIR;
const SOURCE_DIR = process.env.VAULT_SOURCE_DIR || process.cwd();
const CHROMIUM = process.env.VAULT_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = BINARY_DIR ? path.join(BINARY_DIR, 'browser-artifacts') : '';
const STEP_TIMEOUT_MS = 10_000;

// The customers of these tests. Every value here must stay out of the URL,
// history, storage, the page after a lookup, and the server's log.
const ALICE = {
  email: 'alice.tremblay@example.com',
  phone: '514 555 0142',
  phoneOther: '(514) 555-0142',
  phoneDigits: '5145550142',
  name: 'Alice Tremblay',
};
const BOB = {
  email: 'bob.gagnon@example.ca',
  phone: '438-555-0199',
  phoneDigits: '4385550199',
  name: 'Bob Gagnon',
};
const UNKNOWN_EMAIL = 'nobody.here@example.org';
const CSRF_VICTIM_EMAIL = 'csrf.victim@example.com';
const PII = [ALICE.email, ALICE.phoneDigits, ALICE.name, BOB.email, BOB.phoneDigits, BOB.name,
             UNKNOWN_EMAIL, CSRF_VICTIM_EMAIL, '555-0142', '555 0142', '555-0199'];

// ------------------------------------------------------------------ harness

const results = [];
let shotNumber = 0;

function log(line) {
  process.stdout.write(`${line}\n`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const openContexts = new Set();

// Runs one test; on failure saves what each of its pages showed. Closes the
// browser contexts it opened either way.
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    log(`FAIL  ${name} (${Date.now() - started} ms)\n      ${String(err.stack || err).replace(/\n/g, '\n      ')}`);
    let n = 0;
    for (const context of openContexts) {
      for (const page of context.pages()) {
        n += 1;
        const file = `FAILED-${name.replace(/[^a-zA-Z0-9]+/g, '-').slice(0, 60)}-${n}.png`;
        await page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true }).catch(() => {});
      }
    }
  } finally {
    for (const context of openContexts) await context.close().catch(() => {});
    openContexts.clear();
  }
}

function pathOf(url) {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

// Watches one browser context: every page's console errors, page errors,
// failed requests and error responses. `expect(...)` names the 4xx answers a
// test provokes on purpose; anything else is a failure reported by done().
class Watch {
  constructor(context, name) {
    this.context = context;
    this.name = name;
    this.problems = [];
    this.expected = [{ method: 'GET', path: /^\/v1\/auth\/me$/, status: 401 }];
    this.consoleAllowed = [];
    this.failuresAllowed = [];
    this.requests = [];
    context.on('page', (page) => this.attach(page));
  }

  attach(page) {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // Chromium logs every 4xx fetch; those are judged by their responses below.
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      if (this.consoleAllowed.some((re) => re.test(text))) return;
      this.problems.push(`console error on ${pathOf(page.url())}: ${text}`);
    });
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('request', (req) => this.requests.push(req));
    page.on('requestfailed', (req) => {
      const what = `${req.method()} ${pathOf(req.url())} ${req.failure()?.errorText ?? ''}`;
      if (this.failuresAllowed.some((re) => re.test(what))) return;
      this.problems.push(`request failed: ${what}`);
    });
    page.on('response', (res) => {
      const status = res.status();
      const where = `${res.request().method()} ${pathOf(res.url())} ${status}`;
      if (status >= 500) {
        this.problems.push(`server error: ${where}`);
      } else if (status >= 400) {
        const i = this.expected.findIndex(
          (e) => e.method === res.request().method() && e.path.test(pathOf(res.url())) &&
                 [].concat(e.status).includes(status));
        if (i < 0) {
          this.problems.push(`unexpected answer: ${where}`);
        } else if (this.expected[i].once) {
          this.expected.splice(i, 1);
        }
      }
    });
  }

  // The next `method path` answer with `status` (one, or a list of
  // acceptable ones) is expected: once, unless `always`.
  expect(method, pathPattern, status, { always = false } = {}) {
    this.expected.push({ method, path: pathPattern, status, once: !always });
  }

  allowConsole(re) {
    this.consoleAllowed.push(re);
  }

  // `re` is matched against "METHOD /path net::ERR_…".
  allowFailure(re) {
    this.failuresAllowed.push(re);
  }

  done() {
    if (this.problems.length > 0) {
      throw new Error(`${this.name}:\n  ${this.problems.join('\n  ')}`);
    }
  }
}

// ------------------------------------------------------------------ the vault

async function run(binary, args) {
  const { stdout } = await execFileAsync(path.join(BINARY_DIR, binary), args,
                                         { cwd: SOURCE_DIR, timeout: 60_000 });
  return stdout;
}

async function makeVault(dir) {
  const data = path.join(dir, 'data');
  const policy = path.join(SOURCE_DIR, 'config', 'policy.toml');
  await run('contact-vault', ['init', '--data-dir', data, '--policy', policy]);
  await run('contact-vault', ['dev-cert', '--data-dir', data]);
  const printed = await run('contact-vault', ['dev-accounts', '--data-dir', data, '--policy', policy]);
  const passwords = {};
  for (const m of printed.matchAll(/^\s+(\S+)\s+role\s+(\S+)\s+password\s+(\S+)\s*$/gm)) {
    passwords[m[1]] = m[3];
  }
  check(passwords.cashier && passwords.support, `dev-accounts printed no passwords:\n${printed}`);
  const config = path.join(dir, 'vault.toml');
  await fs.writeFile(config, [
    '[server]',
    'listen = "127.0.0.1"',
    'port = 0',
    'threads = 8',
    'dev_mode = false',
    '[metrics]',
    'listen = "127.0.0.1:0"',
    '[storage]',
    `data_dir = ${JSON.stringify(data)}`,
    '[policy]',
    `file = ${JSON.stringify(policy)}`,
    '[sessions]',
    'idle_minutes = 15',
    'absolute_minutes = 480',
    'login_attempts_per_window = 5',
    'login_window_minutes = 15',
    '[log]',
    'level = "info"',
    '',
  ].join('\n'));
  return { config, passwords };
}

// Starts the server; resolves with its base URL once it logs where it listens.
function startServer(config, logLines) {
  const child = spawn(path.join(BINARY_DIR, 'contact-vault-server'), ['--config', config],
                      { cwd: SOURCE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start in 20 s')), 20_000);
    let buffered = '';
    const onData = (chunk) => {
      const text = chunk.toString();
      logLines.push(text);
      buffered += text;
      const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(`https://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? `status ${code}`}):\n${logLines.join('')}`));
    });
  });
  return { child, ready };
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    log('the server ignored SIGTERM for 10 s; killing it');
    child.kill('SIGKILL');
    await exited;
  }
}

// A raw HTTPS request: the path goes out exactly as written (no URL cleanup).
function rawRequest(base, method, rawPath, { headers = {}, body } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname, port, method, path: rawPath, headers,
                                rejectUnauthorized: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// ------------------------------------------------------------------ page helpers

async function newContext(browser, name, { locale = 'en-CA', clock = false } = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale,
    viewport: { width: 1280, height: 900 },
    serviceWorkers: 'block',
  });
  openContexts.add(context);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  if (clock) await context.clock.install();
  const watch = new Watch(context, name);
  const page = await context.newPage();
  return { context, page, watch };
}

// The visible view's id ("signin", "home", …).
async function currentView(page) {
  return page.evaluate(() => {
    const shown = [...document.querySelectorAll('section.view')].filter((s) => !s.hidden);
    return shown.length === 1 ? shown[0].id.replace(/^view-/, '') : `(${shown.length} views)`;
  });
}

async function waitView(page, view) {
  await page.waitForFunction((v) => {
    const s = document.getElementById(`view-${v}`);
    return s && !s.hidden;
  }, view, { timeout: STEP_TIMEOUT_MS });
}

async function heading(page) {
  return (await page.locator('section.view:not([hidden]) h1').textContent()).trim();
}

async function textOf(page, selector) {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

// What has keyboard focus: its id, its visible text or label, and whether
// the focus ring is drawn.
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { id: '', text: '', ring: false };
    const style = getComputedStyle(el);
    const label = el.labels?.[0]?.textContent ?? '';
    return {
      id: el.id,
      text: (el.getAttribute('aria-label') || el.textContent || label).trim().replace(/\s+/g, ' '),
      label: label.trim().replace(/\s+/g, ' '),
      ring: style.outlineStyle !== 'none' || style.boxShadow !== 'none',
    };
  });
}

// Presses Tab until the focused control matches `want` (id or text), and
// checks it shows a visible focus ring.
async function tabTo(page, want, { back = false, max = 25 } = {}) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    seen.push(f.id || f.text);
    const hit = typeof want === 'string' ? f.id === want || f.text === want || f.label === want
                                         : want.test(f.text) || want.test(f.label) || want.test(f.id);
    if (hit) {
      check(f.ring, `no visible focus ring on ${f.id || f.text}`);
      return f;
    }
  }
  throw new Error(`Tab never reached ${want}; focus went through: ${seen.join(' → ')}`);
}

async function expectFocus(page, id) {
  await page.waitForFunction((i) => document.activeElement?.id === i, id,
                             { timeout: STEP_TIMEOUT_MS }).catch(async () => {
    throw new Error(`expected focus on #${id}, it is on ${JSON.stringify(await focused(page))}`);
  });
}

async function expectFocusText(page, text) {
  await page.waitForFunction((t) => document.activeElement?.textContent.trim() === t, text,
                             { timeout: STEP_TIMEOUT_MS }).catch(async () => {
    throw new Error(`expected focus on "${text}", it is on ${JSON.stringify(await focused(page))}`);
  });
}

// Saves the page in its current language and in the other one.
async function shot(page, name) {
  shotNumber += 1;
  const prefix = String(shotNumber).padStart(2, '0');
  for (let i = 0; i < 2; i++) {
    const lang = await page.evaluate(() => document.documentElement.lang);
    await page.screenshot({ path: path.join(ARTIFACTS, `${prefix}-${name}.${lang}.png`),
                            fullPage: true });
    // .click() from script keeps keyboard focus where the test left it.
    await page.evaluate(() => document.getElementById('lang-toggle').click());
  }
}

async function signInByKeyboard(page, base, username, password) {
  await page.goto(`${base}/`);
  await waitView(page, 'signin');
  await expectFocus(page, 'signin-username');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await waitView(page, 'home');
}

// The session cookie and CSRF token of a signed-in page, for requests made
// from outside the page.
async function sessionOf(page, context, base) {
  const cookie = (await context.cookies(base)).find((c) => c.name === '__Host-cv_session');
  const me = await page.evaluate(async () => (await fetch('/v1/auth/me')).json());
  return { cookie: cookie?.value ?? '', csrf: me.csrf_token };
}

// Looks a customer up the way the till does: "Customer enters", the
// customer types, Enter hands the screen back.
async function handOverLookup(page, typed) {
  await page.locator('#start-lookup').focus();
  await page.keyboard.press('Enter');
  await waitView(page, 'handover');
  await expectFocus(page, 'lookup-input');
  await page.keyboard.type(typed);
  await page.keyboard.press('Enter');
  await waitView(page, 'result');
}

// Nothing typed or found is kept where it could outlive the screen.
async function checkNothingKept(page, base, historyBefore, values) {
  const kept = await page.evaluate(() => {
    const storage = (s) => {
      const out = [];
      for (let i = 0; i < s.length; i++) out.push(`${s.key(i)}=${s.getItem(s.key(i))}`);
      return out.join('\n');
    };
    return {
      href: location.href,
      historyLength: history.length,
      historyState: JSON.stringify(history.state),
      localStorage: localStorage.length,
      sessionStorage: sessionStorage.length,
      storageText: storage(localStorage) + storage(sessionStorage),
      title: document.title,
      html: document.documentElement.outerHTML,
      inputs: [...document.querySelectorAll('input, textarea')].map((i) => i.value).join('\n'),
      entries: performance.getEntries().map((e) => e.name).join('\n'),
    };
  });
  equal(kept.href, `${base}/`, 'location.href');
  equal(kept.historyLength, historyBefore, 'history.length');
  equal(kept.historyState, 'null', 'history.state');
  equal(kept.localStorage, 0, 'localStorage items');
  equal(kept.sessionStorage, 0, 'sessionStorage items');
  for (const v of values) {
    for (const [where, text] of Object.entries(kept)) {
      if (typeof text === 'string') {
        check(!text.toLowerCase().includes(v.toLowerCase()), `"${v}" kept in ${where}`);
      }
    }
  }
}

// The attacker's page for the cross-site tests, on http://localhost (another site).
function startAttacker(base) {
  const page = `<!doctype html><html><body>
<form id="plain" method="POST" action="${base}/v1/customers" enctype="text/plain">
  <input type="hidden" name='{"email":"${CSRF_VICTIM_EMAIL}","x":"' value='"}'>
  <button id="go-plain">Win a prize</button>
</form>
<form id="urlencoded" method="POST" action="${base}/v1/customers">
  <input type="hidden" name="email" value="${CSRF_VICTIM_EMAIL}">
  <button id="go-urlencoded">Win another prize</button>
</form>
</body></html>`;
  const framing = `<!doctype html><html><body><iframe id="victim" src="${base}/"></iframe></body></html>`;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/frame' ? 200 : req.url === '/' ? 200 : 404,
                  { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(req.url === '/frame' ? framing : req.url === '/' ? page : '');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ server, url: `http://localhost:${server.address().port}` });
    });
  });
}

// ------------------------------------------------------------------ tests

async function main() {
  if (!BINARY_DIR) {
    log('set VAULT_BINARY_DIR to the build directory');
    return 2;
  }
  await fs.rm(ARTIFACTS, { recursive: true, force: true });
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cv-browser-'));
  const serverLog = [];
  let server = null;
  let browser = null;
  let attacker = null;
  try {
    const { config, passwords } = await makeVault(tmp);
    const started = startServer(config, serverLog);
    server = started.child;
    // If this run is itself stopped (ctest's timeout, ^C), stop the server too.
    for (const signal of ['SIGTERM', 'SIGINT']) {
      process.once(signal, () => {
        server.kill('SIGTERM');
        rmSync(tmp, { recursive: true, force: true });
        process.exit(1);
      });
    }
    const base = await started.ready;
    log(`server at ${base}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--ignore-certificate-errors'],
    });
    attacker = await startAttacker(base);
    await runTests(browser, base, passwords, attacker.url);
  } catch (err) {
    results.push({ name: 'set-up', ok: false });
    log(`FAIL  set-up\n      ${err.stack || err}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (attacker) attacker.server.close();
    await stopServer(server);
    await fs.writeFile(path.join(ARTIFACTS, 'server.log'), serverLog.join(''));
    if (server) await test('the server log holds no customer data', async () => {
      const text = serverLog.join('').toLowerCase();
      check(text.length > 0, 'the server logged nothing');
      for (const v of PII) check(!text.includes(v.toLowerCase()), `"${v}" in the server log`);
    });
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`screenshots and the server log: ${ARTIFACTS}`);
  log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function runTests(browser, base, passwords, attackerUrl) {
  await test('every label exists in English and French', async () => {
    const { STRINGS } = await import(pathToFileURL(path.join(SOURCE_DIR, 'server/web/i18n.js')));
    const en = Object.keys(STRINGS.en).sort();
    const fr = Object.keys(STRINGS.fr).sort();
    equal(JSON.stringify(fr), JSON.stringify(en), 'French keys vs English keys');
    for (const lang of ['en', 'fr']) {
      for (const [k, v] of Object.entries(STRINGS[lang])) check(v.trim() !== '', `${lang}.${k} is empty`);
    }
    const html = await fs.readFile(path.join(SOURCE_DIR, 'server/web/index.html'), 'utf8');
    const js = await fs.readFile(path.join(SOURCE_DIR, 'server/web/app.js'), 'utf8');
    for (const m of html.matchAll(/data-i18n(?:-label)?="([a-z_0-9]+)"/g)) {
      check(m[1] in STRINGS.en, `index.html uses unknown key ${m[1]}`);
    }
    for (const m of js.matchAll(/(?:setText|showMessage)\([^,]+, '([a-z_0-9]+)'/g)) {
      check(m[1] in STRINGS.en, `app.js uses unknown key ${m[1]}`);
    }
    check(!/style=/.test(html) && !/<script>/.test(html) && !/ on[a-z]+=/.test(html),
          'index.html has inline script or style, which the CSP blocks');
    const code = js.replace(/\/\/.*$/gm, '');
    check(!/innerHTML|outerHTML\s*=|insertAdjacentHTML|document\.write|eval\(/.test(code),
          'app.js writes HTML from strings');
    check(!/localStorage|sessionStorage|history\.|location\.hash/.test(code),
          'app.js touches storage, history or the URL');
  });

  await test('the server serves the embedded files with strict headers and nothing else', async () => {
    const root = await rawRequest(base, 'GET', '/');
    equal(root.status, 200, 'GET / status');
    check(root.headers['content-type'].startsWith('text/html'), 'GET / is not HTML');
    const csp = root.headers['content-security-policy'] ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'",
                             "img-src 'self'", "connect-src 'self'", "form-action 'self'",
                             "frame-ancestors 'none'", "base-uri 'none'"]) {
      check(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    check(!csp.includes('unsafe'), `CSP allows something unsafe: ${csp}`);
    equal(root.headers['x-frame-options'], 'DENY', 'X-Frame-Options');
    equal(root.headers['referrer-policy'], 'no-referrer', 'Referrer-Policy');
    equal(root.headers['x-content-type-options'], 'nosniff', 'X-Content-Type-Options');
    equal(root.headers['cache-control'], 'no-store', 'Cache-Control on /');
    const index = await rawRequest(base, 'GET', '/index.html');
    equal(index.body, root.body, '/index.html vs /');
    for (const [file, type] of [['/app.js', 'text/javascript'], ['/i18n.js', 'text/javascript'],
                                ['/app.css', 'text/css'], ['/favicon.svg', 'image/svg+xml']]) {
      const r = await rawRequest(base, 'GET', file);
      equal(r.status, 200, `GET ${file}`);
      check(r.headers['content-type'].startsWith(type), `${file} served as ${r.headers['content-type']}`);
      check((r.headers['content-security-policy'] ?? '').includes("default-src 'none'"), `${file} has no CSP`);
    }
    for (const p of ['/nope', '/index.htm', '/appXjs', '/app.js.map', '/web/index.html',
                     '/server/web/app.js', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
                     '/..%2f..%2fetc%2fpasswd', '/%2e%2e%2fCMakeLists.txt', '/..%5c..%5cetc%5cpasswd',
                     '//etc/passwd', '/index.html/../../config/vault.toml',
                     '/%2fetc%2fpasswd', '/./index.html/..', '/v1/nope']) {
      const r = await rawRequest(base, 'GET', p);
      equal(r.status, 404, `GET ${p} status`);
      check(!/root:|\[server\]|cmake_minimum_required/.test(r.body), `GET ${p} leaked a file`);
    }
  });

  await test('sign-in: language from Accept-Language, toggle, wrong password, rate limit', async () => {
    const fr = await newContext(browser, 'sign-in fr', { locale: 'fr-CA' });
    await fr.page.goto(`${base}/`);
    await waitView(fr.page, 'signin');
    equal(await heading(fr.page), 'Connexion', 'French heading from Accept-Language');
    equal(await fr.page.evaluate(() => document.documentElement.lang), 'fr', 'html lang');
    fr.watch.done();
    await fr.context.close();

    const { context, page, watch } = await newContext(browser, 'sign-in en');
    await page.goto(`${base}/`);
    await waitView(page, 'signin');
    equal(await heading(page), 'Sign in', 'English heading');
    await shot(page, 'sign-in');
    await page.locator('#lang-toggle').click();
    equal(await heading(page), 'Connexion', 'heading after the toggle');
    equal(await textOf(page, 'label[for="signin-password"]'), 'Mot de passe', 'password label');
    await page.locator('#lang-toggle').click();
    equal(await heading(page), 'Sign in', 'heading after toggling back');

    // Empty form: told what is missing, nothing sent.
    await page.locator('#signin-username').focus();
    await page.keyboard.press('Enter');
    equal(await textOf(page, '#signin-error'), 'Enter your username and password.', 'empty sign-in');

    watch.expect('POST', /^\/v1\/auth\/login$/, 401);
    await page.locator('#signin-username').fill('cashier');
    await page.locator('#signin-password').fill('not-the-password');
    await page.keyboard.press('Enter');
    await page.locator('#signin-error', { hasText: 'Wrong username or password.' }).waitFor();
    equal(await page.locator('#signin-password').inputValue(), '', 'password cleared after a failure');

    for (let i = 0; i < 5; i++) {
      watch.expect('POST', /^\/v1\/auth\/login$/, 401);
      await page.locator('#signin-username').fill('intruder');
      await page.locator('#signin-password').fill(`guess-${i}`);
      await page.keyboard.press('Enter');
      await page.locator('#signin-error', { hasText: 'Wrong username or password.' }).waitFor();
      await page.waitForFunction(() => !document.querySelector('#signin-form[aria-busy]'));
    }
    watch.expect('POST', /^\/v1\/auth\/login$/, 429);
    await page.locator('#signin-password').fill('guess-6');
    await page.keyboard.press('Enter');
    await page.locator('#signin-error', { hasText: /Too many failed sign-in attempts\. Try again in \d+ min\./ })
      .waitFor();
    await shot(page, 'sign-in-rate-limited');
    watch.done();
    await context.close();
  });

  await test('cashier creates a customer through the hand-over form, by keyboard', async () => {
    const { context, page, watch } = await newContext(browser, 'create');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    check((await textOf(page, '#who')).includes('(cashier)'), 'the header names the role');
    await expectFocus(page, 'start-lookup');
    await shot(page, 'home');

    await tabTo(page, 'New customer');
    await page.keyboard.press('Enter');
    await waitView(page, 'new');
    await expectFocus(page, 'new-email');
    check(!(await page.locator('#sign-out').isVisible()), 'Sign out is shown to the customer');
    for (const id of ['consent-marketing-email', 'consent-marketing-sms', 'consent-share-with-partners']) {
      check(!(await page.locator(`#${id}`).isChecked()), `${id} is ticked by default`);
    }
    equal(await textOf(page, '#notice-version'), 'Version notice-2026-11', 'notice version');
    check((await textOf(page, '.notice')).includes('encrypted'), 'notice text shown');

    // Nothing but the name: told an email or phone is needed, nothing sent.
    await page.locator('#new-name').focus();
    await page.keyboard.type('Only A Name');
    await page.keyboard.press('Enter');
    equal(await textOf(page, '#new-error'), 'Give at least an email or a phone number.', 'contact required');
    await expectFocus(page, 'new-email');
    await page.locator('#new-name').fill('');
    await page.locator('#new-email').focus();

    await page.keyboard.type(ALICE.email);
    const hidden = await page.locator('#new-email').evaluate((el) => getComputedStyle(el).webkitTextSecurity);
    equal(hidden, 'disc', 'typed email hidden');
    await page.keyboard.press('Tab');
    await page.keyboard.type(ALICE.phone);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ALICE.name);
    await tabTo(page, 'new-show');
    await page.keyboard.press('Space');
    equal(await page.locator('#new-email').evaluate((el) => getComputedStyle(el).webkitTextSecurity),
          'none', 'typed email shown on request');
    await page.keyboard.press('Space');
    await tabTo(page, 'consent-marketing-email');
    await page.keyboard.press('Space');
    check(await page.locator('#consent-marketing-email').isChecked(), 'consent ticked by keyboard');
    await shot(page, 'new-customer');

    await tabTo(page, 'Save');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && pathOf(r.url()) === '/v1/customers');
    await page.keyboard.press('Enter');
    const body = JSON.parse((await sent).postData());
    equal(JSON.stringify(Object.keys(body).sort()), '["email","name","phone"]', 'create body members');
    await waitView(page, 'card');
    equal(await textOf(page, '#card-message'), 'Customer created. Thank you!', 'created notice');
    const email = await textOf(page, '.field-row[data-field="email"] .field-value');
    check(email.includes('•') && !email.includes('tremblay'), `email not masked: ${email}`);
    equal(await page.locator('.reveal-button').count(), 0, 'Reveal buttons for a cashier');
    // The choices reach the consent ledger, one entry per purpose, and only there.
    const consents = watch.requests.filter((r) => r.method() === 'PUT' &&
                                           /\/consents\//.test(pathOf(r.url())));
    equal(consents.length, 3, 'one consent entry per purpose');
    for (const r of consents) {
      const purpose = pathOf(r.url()).split('/').pop();
      const entry = JSON.parse(r.postData());
      equal(entry.granted, purpose === 'marketing_email', `consent ${purpose} as ticked`);
      equal(entry.channel, 'web', 'consent channel');
      equal(entry.notice_version, 'notice-2026-11', 'consent notice version');
    }
    await shot(page, 'card-created');

    // The same email again: the customer is told, the form keeps the values.
    await tabTo(page, 'New lookup');
    await page.keyboard.press('Enter');
    await waitView(page, 'home');
    await page.locator('#start-new').click();
    await waitView(page, 'new');
    equal(await page.locator('#new-email').inputValue(), '', 'new form starts empty');
    equal(await page.locator('#consent-marketing-email').isChecked(), false, 'consent reset');
    watch.expect('POST', /^\/v1\/customers$/, 409);
    await page.keyboard.type(ALICE.email);
    await page.keyboard.press('Enter');
    await page.locator('#new-error', { hasText: 'A customer with this email already exists.' }).waitFor();
    equal(await page.locator('#new-email').getAttribute('aria-invalid'), 'true', 'email marked invalid');
    await shot(page, 'new-customer-duplicate');
    watch.expect('POST', /^\/v1\/customers$/, 400);
    await page.locator('#new-email').fill('not-an-email');
    await page.keyboard.press('Enter');
    await page.locator('#new-error', { hasText: 'Check the email address.' }).waitFor();
    await page.keyboard.press('Escape');
    await waitView(page, 'home');
    equal(await page.locator('#new-email').inputValue(), '', 'form cleared on leaving');
    watch.done();
    await context.close();
  });

  await test('cashier: hand-over lookup finds a customer, masked, no Reveal, nothing kept', async () => {
    const { context, page, watch } = await newContext(browser, 'lookup found');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    const historyBefore = await page.evaluate(() => history.length);

    await page.keyboard.press('Enter');  // "Customer enters" has the focus
    await waitView(page, 'handover');
    await expectFocus(page, 'lookup-input');
    check(!(await page.locator('#sign-out').isVisible()), 'Sign out is shown to the customer');
    check(!(await page.locator('#who').isVisible()), 'the employee is named to the customer');
    await page.keyboard.type(`  ${ALICE.email.toUpperCase()} `);
    equal(await page.locator('#lookup-input').evaluate((el) => getComputedStyle(el).webkitTextSecurity),
          'disc', 'typed characters hidden');
    await shot(page, 'hand-over');
    await tabTo(page, 'lookup-show');
    await page.keyboard.press('Space');
    equal(await page.locator('#lookup-input').evaluate((el) => getComputedStyle(el).webkitTextSecurity),
          'none', 'characters shown with the toggle');
    await tabTo(page, 'lookup-input', { back: true });
    await page.keyboard.press('Enter');
    equal(await page.locator('#lookup-input').inputValue(), '', 'typed value cleared at once');
    await waitView(page, 'result');
    equal(await heading(page), 'Customer found', 'result heading');
    await expectFocusText(page, 'Open customer card');
    const value = (f) => page.locator(`#result-list .field-row[data-field="${f}"] .field-value`);
    const email = (await value('email').textContent()).trim();
    const phone = (await value('phone').textContent()).trim();
    const name = (await value('name').textContent()).trim();
    check(email.includes('•') && !email.includes('tremblay'), `email not masked: ${email}`);
    check(phone.includes('•') && !phone.includes('555'), `phone not masked: ${phone}`);
    check(name.includes('•') && !name.includes('Tremblay'), `name not masked: ${name}`);
    await shot(page, 'result-found');
    await checkNothingKept(page, base, historyBefore, [ALICE.email, ALICE.phoneDigits, ALICE.name]);

    await page.keyboard.press('Enter');  // open the card
    await waitView(page, 'card');
    equal(await heading(page), 'Customer card', 'card heading');
    equal((await page.locator('.field-row[data-field="email"] .field-value').textContent()).trim(), email,
          'card email');
    equal(await page.locator('.reveal-button').count(), 0, 'Reveal buttons for a cashier');
    equal(await page.getByRole('button', { name: /Reveal/ }).count(), 0, 'Reveal by name for a cashier');
    await shot(page, 'card-cashier');

    // By phone, typed another way: the same customer.
    await tabTo(page, 'New lookup');
    await page.keyboard.press('Enter');
    await waitView(page, 'home');
    await handOverLookup(page, ALICE.phoneOther);
    equal(await heading(page), 'Customer found', 'found by phone');
    equal((await value('email').textContent()).trim(), email, 'same customer by phone');
    await checkNothingKept(page, base, historyBefore,
                           [ALICE.email, ALICE.phoneDigits, ALICE.phoneOther, ALICE.name]);
    watch.done();
    await context.close();
  });

  await test('hand-over lookup: not found offers a new customer; bad input asks again', async () => {
    const { context, page, watch } = await newContext(browser, 'lookup not found');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    const historyBefore = await page.evaluate(() => history.length);
    await page.keyboard.press('Enter');
    await waitView(page, 'handover');
    await page.keyboard.press('Enter');  // nothing typed yet
    equal(await textOf(page, '#lookup-error'), 'Type an email or a phone number first.', 'empty Done');

    watch.expect('POST', /^\/v1\/customers\/search$/, 400);
    await page.keyboard.type('12');
    await page.keyboard.press('Enter');
    await page.locator('#lookup-error', { hasText: 'Check the phone number.' }).waitFor();
    equal(await page.locator('#lookup-input').inputValue(), '', 'bad value cleared');
    await expectFocus(page, 'lookup-input');

    await page.keyboard.type(UNKNOWN_EMAIL);
    await page.keyboard.press('Enter');
    await waitView(page, 'result');
    equal(await heading(page), 'No customer found', 'not-found heading');
    await expectFocus(page, 'result-create');
    await shot(page, 'result-not-found');
    await checkNothingKept(page, base, historyBefore, [UNKNOWN_EMAIL]);
    await page.keyboard.press('Enter');
    await waitView(page, 'new');
    await expectFocus(page, 'new-email');
    equal(await page.locator('#new-email').inputValue(), '', 'the typed value is not carried over');
    await page.keyboard.press('Escape');
    await waitView(page, 'home');
    watch.done();
    await context.close();
  });

  await test('support reveals a phone with a reason, masked again after 30 s; quota shown', async () => {
    const { context, page, watch } = await newContext(browser, 'reveal', { clock: true });
    await signInByKeyboard(page, base, 'support', passwords.support);
    check((await textOf(page, '#who')).includes('(support)'), 'the header names the role');
    check(!(await page.locator('#start-new').isVisible()), 'New customer shown to support');
    await handOverLookup(page, ALICE.phone);
    equal(await heading(page), 'Customer found', 'found by phone');
    await page.keyboard.press('Enter');
    await waitView(page, 'card');
    equal(await page.locator('.reveal-button').count(), 1, 'Reveal buttons for support');
    check(await page.locator('.field-row[data-field="phone"] .reveal-button').isVisible(),
          'Reveal is on the phone');
    const phone = page.locator('.field-row[data-field="phone"] .field-value');
    const masked = (await phone.textContent()).trim();
    check(masked.includes('•'), `phone not masked: ${masked}`);

    await tabTo(page, 'Reveal Phone');
    await page.keyboard.press('Enter');
    await expectFocus(page, 'reveal-reason-phone');
    const before = watch.requests.length;
    await page.keyboard.press('Enter');  // no reason
    equal(await textOf(page, '.field-row[data-field="phone"] .reveal-error'),
          'Give a reason of 1 to 200 characters.', 'reason required');
    check(!watch.requests.slice(before).some((r) => r.url().includes('/reveal')),
          'a reveal was sent without a reason');
    await page.keyboard.type('Calling back about order 1234');
    await shot(page, 'reveal-reason');
    await page.keyboard.press('Enter');
    await page.waitForFunction((digits) => {
      const el = document.querySelector('.field-row[data-field="phone"] .field-value');
      return el.textContent.replace(/\D/g, '').includes(digits);
    }, ALICE.phoneDigits);
    // The page clock runs on: a slow machine may already show the next second.
    const countdown = await textOf(page, '.field-row[data-field="phone"] .countdown');
    check(/^Masked again in (30|29) s$/.test(countdown), `countdown: ${countdown}`);
    equal(await textOf(page, '#card-quota'), 'Reveals left this hour: 19', 'quota left');
    await shot(page, 'revealed');
    await page.clock.fastForward(31_000);
    await page.waitForFunction(() => !document.querySelector('.field-value.revealed'));
    equal((await phone.textContent()).trim(), masked, 'masked again after 30 s');
    check(!(await page.locator('.field-row[data-field="phone"] .countdown').isVisible()), 'countdown left');
    check(await page.locator('.field-row[data-field="phone"] .reveal-button').isVisible(), 'Reveal back');

    // "Hide now" masks at once.
    await page.locator('.field-row[data-field="phone"] .reveal-button').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Second call');
    await page.keyboard.press('Enter');
    await page.locator('.field-value.revealed').waitFor();
    await expectFocusText(page, 'Hide now');
    await page.keyboard.press('Enter');
    equal((await phone.textContent()).trim(), masked, 'masked by Hide now');

    // Two idle minutes clear the customer from the screen.
    await page.clock.fastForward(121_000);
    await waitView(page, 'home');
    equal(await textOf(page, '#home-message'),
          'For privacy, the screen was cleared after 2 minutes without activity.', 'idle message');
    equal(await page.locator('#card-fields .field-row').count(), 0, 'card emptied');
    await shot(page, 'idle-cleared');

    // Spend the rest of the hour's quota, then the page says so clearly.
    const spent = await page.evaluate(async (phoneTyped) => {
      const me = await (await fetch('/v1/auth/me')).json();
      const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token };
      const found = await (await fetch('/v1/customers/search',
        { method: 'POST', headers, body: JSON.stringify({ phone: phoneTyped }) })).json();
      const id = found.matches[0].id;
      let n = 0;
      for (;;) {
        const r = await (await fetch(`/v1/customers/${id}/reveal`,
          { method: 'POST', headers, body: JSON.stringify({ fields: ['phone'], reason: 'quota test' }) })).json();
        n += 1;
        if (r.quota_remaining === 0 || n > 50) return n;
      }
    }, ALICE.phone);
    equal(spent, 18, 'reveals left to spend');
    watch.expect('POST', /^\/v1\/customers\/[^/]+\/reveal$/, 429);
    await handOverLookup(page, ALICE.phone);
    await page.keyboard.press('Enter');
    await waitView(page, 'card');
    await page.locator('.field-row[data-field="phone"] .reveal-button').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type('One more call');
    await page.keyboard.press('Enter');
    await page.locator('.field-row[data-field="phone"] .reveal-error', { hasText: 'Reveal limit reached' })
      .waitFor();
    check(!(await page.locator('.field-value.revealed').count()), 'a value shown despite the quota');
    await shot(page, 'reveal-quota');
    watch.done();
    await context.close();
  });

  await test('requests without the CSRF token, or from another site, are refused', async () => {
    const { context, page, watch } = await newContext(browser, 'csrf');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    watch.expect('POST', /^\/v1\/customers$/, 403);
    watch.expect('POST', /^\/v1\/customers$/, 403);
    const answers = await page.evaluate(async (email) => {
      const send = async (extra) => {
        const r = await fetch('/v1/customers', {
          method: 'POST', headers: { 'Content-Type': 'application/json', ...extra },
          body: JSON.stringify({ email }),
        });
        return [r.status, (await r.json()).code];
      };
      return [await send({}), await send({ 'X-CSRF-Token': 'forged-token' })];
    }, CSRF_VICTIM_EMAIL);
    equal(JSON.stringify(answers), '[[403,"csrf_failed"],[403,"csrf_failed"]]', 'fetch without token');

    // A page on another site posts a form to the vault, in the same browser.
    // Chromium does not render the problem+json answer of a navigation and
    // aborts it: that is the refusal seen from the attacker's tab.
    const evil = await context.newPage();
    watch.allowFailure(/^POST \/v1\/customers net::ERR_ABORTED$/);
    for (const button of ['#go-plain', '#go-urlencoded']) {
      watch.expect('POST', /^\/v1\/customers$/, 401);
      await evil.goto(`${attackerUrl}/`);
      const [answer] = await Promise.all([
        evil.waitForResponse((r) => pathOf(r.url()) === '/v1/customers'),
        evil.click(button),
      ]);
      // SameSite=Strict keeps the cookie home: the vault sees no session at all.
      equal(answer.status(), 401, `cross-site form ${button} status`);
      check(!((await answer.request().allHeaders()).cookie ?? '').includes('cv_session'),
            `cross-site form ${button} carried the session cookie`);
    }
    // … and tries to frame it.
    watch.allowConsole(/^Framing '[^']+' violates the following Content Security Policy directive: "frame-ancestors 'none'"/);
    watch.allowConsole(/^Refused to (display|frame) /);
    watch.allowFailure(/^GET \/ net::ERR_BLOCKED_BY_RESPONSE$/);
    await evil.goto(`${attackerUrl}/frame`);
    for (const frame of evil.frames()) {
      if (frame === evil.mainFrame()) continue;
      equal(await frame.locator('#view-signin').count().catch(() => 0), 0, 'the vault inside a frame');
    }
    await evil.close();

    const matches = await page.evaluate(async (email) => {
      const me = await (await fetch('/v1/auth/me')).json();
      const r = await fetch('/v1/customers/search', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: JSON.stringify({ email }),
      });
      return (await r.json()).matches.length;
    }, CSRF_VICTIM_EMAIL);
    equal(matches, 0, 'customers created by the refused requests');
    watch.done();
    await context.close();
  });

  await test('an expired session sends the page back to sign-in', async () => {
    const { context, page, watch } = await newContext(browser, 'expiry');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    const historyBefore = await page.evaluate(() => history.length);
    // The session ends on the server (as after the idle timeout) while the page is open.
    const { cookie, csrf } = await sessionOf(page, context, base);
    check(cookie !== '', 'no session cookie');
    const out = await rawRequest(base, 'POST', '/v1/auth/logout',
                                 { headers: { Cookie: `__Host-cv_session=${cookie}`, 'X-CSRF-Token': csrf } });
    equal(out.status, 204, 'logout from outside');

    watch.expect('POST', /^\/v1\/customers\/search$/, 401);
    await page.locator('#start-lookup').focus();
    await page.keyboard.press('Enter');
    await waitView(page, 'handover');
    await page.keyboard.type(UNKNOWN_EMAIL);
    await page.keyboard.press('Enter');
    await waitView(page, 'signin');
    equal(await textOf(page, '#signin-message'), 'Your session has ended. Please sign in again.',
          'session message');
    await expectFocus(page, 'signin-username');
    check(!(await page.locator('#sign-out').isVisible()), 'Sign out still shown');
    await shot(page, 'session-ended');
    await checkNothingKept(page, base, historyBefore, [UNKNOWN_EMAIL]);
    await page.reload();
    await waitView(page, 'signin');
    watch.done();
    await context.close();
  });

  await test('sign out ends the session', async () => {
    const { context, page, watch } = await newContext(browser, 'sign out');
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    await tabTo(page, 'Sign out', { back: true });
    await page.keyboard.press('Enter');
    await waitView(page, 'signin');
    equal(await textOf(page, '#signin-message'), 'You are signed out.', 'signed-out message');
    await shot(page, 'signed-out');
    const cookies = (await context.cookies(base)).filter((c) => c.name === '__Host-cv_session' && c.value);
    equal(cookies.length, 0, 'session cookies left');
    equal(await page.evaluate(async () => (await fetch('/v1/auth/me')).status), 401, '/v1/auth/me after');
    watch.done();
    await context.close();
  });

  await test('the whole till flow by keyboard alone, in French', async () => {
    const { context, page, watch } = await newContext(browser, 'French flow', { locale: 'fr-CA' });
    await signInByKeyboard(page, base, 'cashier', passwords.cashier);
    equal(await heading(page), 'Trouver un client', 'home heading');
    await expectFocusText(page, 'Le client saisit');
    await page.keyboard.press('Enter');
    await waitView(page, 'handover');
    equal(await heading(page), 'Veuillez taper votre courriel ou votre numéro de téléphone', 'hand-over');
    await page.keyboard.type(BOB.email);
    await page.keyboard.press('Enter');
    await waitView(page, 'result');
    equal(await heading(page), 'Aucun client trouvé', 'not found');
    await expectFocusText(page, 'Créer un nouveau client');
    await page.keyboard.press('Enter');
    await waitView(page, 'new');
    equal(await heading(page), 'Vos coordonnées', 'new customer heading');
    check((await textOf(page, '#notice-title')).includes('Avis de confidentialité'), 'notice title');
    check((await textOf(page, '#notice-title')).includes('notice-2026-11'), 'notice version');
    equal(await textOf(page, 'label[for="consent-marketing-sms"]'), "M'envoyer des offres par texto",
          'consent label');
    await page.keyboard.type(BOB.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(BOB.phone);
    await page.keyboard.press('Tab');
    await page.keyboard.type(BOB.name);
    await tabTo(page, 'Enregistrer');
    await page.keyboard.press('Enter');
    await waitView(page, 'card');
    equal(await textOf(page, '#card-message'), 'Client créé. Merci!', 'created');
    equal(await heading(page), 'Fiche client', 'card heading');
    await tabTo(page, 'Nouvelle recherche');
    await page.keyboard.press('Enter');
    await waitView(page, 'home');
    await expectFocusText(page, 'Le client saisit');
    await page.keyboard.press('Enter');
    await waitView(page, 'handover');
    await page.keyboard.type(BOB.phone);
    await page.keyboard.press('Enter');
    await waitView(page, 'result');
    equal(await heading(page), 'Client trouvé', 'found');
    await page.keyboard.press('Enter');
    await waitView(page, 'card');
    const labels = await page.locator('#card-fields dt').allTextContents();
    equal(JSON.stringify(labels.map((l) => l.trim())), '["Courriel","Téléphone","Nom"]', 'field labels');
    await tabTo(page, 'Se déconnecter', { back: true });
    await page.keyboard.press('Enter');
    await waitView(page, 'signin');
    equal(await textOf(page, '#signin-message'), 'Vous êtes déconnecté.', 'signed out');
    watch.done();
    await context.close();
  });
}

process.exitCode = await main();
