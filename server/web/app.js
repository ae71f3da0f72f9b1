// The staff web form: one page, no framework. Views are sections of
// index.html shown one at a time; nothing about the customer ever goes into
// the URL, the history, localStorage or sessionStorage. What a customer types
// in hand-over mode is read once and cleared from the page before the request
// leaves. All calls go to the same-origin JSON API with the session cookie and,
// on unsafe methods, the CSRF token from sign-in.
import { NOTICE_VERSION, preferredLanguage, translate } from '/i18n.js';

const REVEAL_SECONDS = 30;            // a revealed value is masked again after this
const IDLE_CLEAR_MS = 2 * 60 * 1000;  // customer data leaves the screen after this idle
const FIELDS = ['email', 'phone', 'name'];
const VIEWS = ['signin', 'home', 'handover', 'result', 'card', 'new'];
const CUSTOMER_VIEWS = new Set(['handover', 'result', 'card', 'new']);

// Error codes of the API → the message shown.
const CODE_MESSAGES = {
  contact_required: 'contact_required',
  email_invalid: 'email_invalid',
  phone_invalid: 'phone_invalid',
  name_invalid: 'name_invalid',
  duplicate_email: 'duplicate_email',
  lookup_rate_limited: 'lookup_rate_limited',
  reveal_quota_exceeded: 'quota_exceeded',
  reason_required: 'reveal_reason_missing',
  customer_not_found: 'not_found',
  forbidden: 'forbidden',
};

const state = {
  lang: preferredLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]),
  user: null,        // the /v1/auth/me answer while signed in
  csrf: '',
  view: null,
  expiryTimer: 0,
  idleTimer: 0,
  reveals: new Map(),  // field → {timer, masked} for values shown in plaintext
};

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// ---------------------------------------------------------------- language

// Arguments starting with "@" are keys themselves ("@field_phone").
function resolveArgs(args) {
  if (!args) return undefined;
  const out = {};
  for (const [k, v] of Object.entries(args)) {
    out[k] = typeof v === 'string' && v.startsWith('@') ? translate(state.lang, v.slice(1)) : v;
  }
  return out;
}

function t(key, args) {
  return translate(state.lang, key, resolveArgs(args));
}

// Shows translated text in `el`, kept in step with the language toggle.
function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) {
    el.dataset.i18nArgs = JSON.stringify(args);
  } else {
    delete el.dataset.i18nArgs;
  }
  el.textContent = t(key, args);
}

// Shows text that is not ours to translate (a masked value, an id).
function setLiteral(el, text) {
  delete el.dataset.i18n;
  delete el.dataset.i18nArgs;
  el.textContent = text;
}

function translateTree(root) {
  for (const el of $$('[data-i18n]', root)) {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    el.textContent = t(el.dataset.i18n, args);
  }
  for (const el of $$('[data-i18n-label]', root)) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  document.title = t('app_name');
  translateTree(document);
  $('#lang-toggle').lang = state.lang === 'en' ? 'fr' : 'en';
  renderWho();
}

// Roles with a name of their own in both languages.
const ROLE_KEYS = Object.fromEntries(
  ['cashier', 'support', 'privacy_officer', 'admin', 'marketing', 'pos'].map((r) => [`role_${r}`, true]));

function renderWho() {
  const who = $('#who');
  if (!state.user) {
    who.textContent = '';
    return;
  }
  const role = state.user.roles?.[0] ?? 'other';
  const roleKey = `role_${role}`;
  setText(who, 'signed_in_as', {
    name: state.user.display_name || state.user.name,
    role: `@${roleKey in ROLE_KEYS ? roleKey : 'role_other'}`,
  });
}

// ---------------------------------------------------------------- messages

function showMessage(el, key, args) {
  setText(el, key, args);
  el.hidden = false;
}

function hideMessage(el) {
  el.hidden = true;
  setLiteral(el, '');
}

// The message for a failed call, as [key, args].
function errorMessage(err) {
  if (err instanceof ApiError) {
    if (err.status === 0) return ['network_error'];
    if (err.code in CODE_MESSAGES) return [CODE_MESSAGES[err.code]];
    if (err.status === 403) return ['forbidden'];
    if (err.status === 404) return ['not_found'];
  }
  return ['server_error', { id: err?.requestId || '—' }];
}

function showError(el, err) {
  const [key, args] = errorMessage(err);
  showMessage(el, key, args);
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  // retryAfterS: a 429's `retry_after_s` (whole seconds), else null.
  constructor(status, code, detail, requestId, retryAfterS = null) {
    super(code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.requestId = requestId;
    this.retryAfterS = retryAfterS;
  }
}

// Thrown after a 401 on a signed-in call: the page is already back at sign-in.
class SessionEnded extends Error {}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = {
    method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
    referrerPolicy: 'no-referrer',
  };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network_error', '', '');
  }
  let data = null;
  if (response.status !== 204 && (response.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  if (response.status === 401 && state.user !== null) {
    endSession('session_expired');
    throw new SessionEnded();
  }
  const retryAfterS = Number.isInteger(data?.retry_after_s) ? data.retry_after_s : null;
  throw new ApiError(response.status, data?.code || `http_${response.status}`, data?.detail || '',
                     data?.request_id || response.headers.get('X-Request-Id') || '', retryAfterS);
}

// Runs `fn` with the form's buttons disabled, so Enter cannot send twice.
async function busy(form, fn) {
  const buttons = $$('button', form);
  for (const b of buttons) b.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    for (const b of buttons) b.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------- views

function can(action) {
  return Boolean(state.user?.actions?.includes(action));
}

// Shows one view. Leaving a view wipes what it showed or held: typed values,
// customer data, revealed plaintext.
function show(view, focusTarget) {
  $('#loading').hidden = true;
  if (view !== 'card') clearCard();
  if (view !== 'result') clearResult();
  if (view !== 'handover') clearLookupInput();
  if (view !== 'new') clearNewForm();
  if (view !== 'signin') clearSignIn();
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
  for (const el of $$('.view .message[role="status"]')) {
    if (!el.closest(`#view-${view}`)) hideMessage(el);
  }
  state.view = view;
  const handover = view === 'handover' || view === 'new';
  document.body.classList.toggle('handover', handover);
  for (const el of $$('.staff-only')) el.hidden = state.user === null || handover;
  resetIdleTimer();
  focusIn(view, focusTarget);
}

function isShown(el) {
  return el !== null && el.getClientRects().length > 0;
}

function focusIn(view, target) {
  const section = $(`#view-${view}`);
  const candidates = [target, ...$$('[data-autofocus]', section), $('h1', section)];
  const el = candidates.find((c) => c && isShown(c) && !c.disabled);
  if (el) el.focus();
}

function resetIdleTimer() {
  clearTimeout(state.idleTimer);
  state.idleTimer = 0;
  if (state.user === null || !CUSTOMER_VIEWS.has(state.view)) return;
  state.idleTimer = setTimeout(() => {
    if (state.user === null || !CUSTOMER_VIEWS.has(state.view)) return;
    show('home');
    showMessage($('#home-message'), 'idle_cleared');
  }, IDLE_CLEAR_MS);
}

// ---------------------------------------------------------------- session

function startSession(me) {
  state.user = me;
  state.csrf = me.csrf_token || '';
  renderWho();
  $('#start-lookup').hidden = !can('customer.search');
  $('#start-new').hidden = !can('customer.create');
  $('#home-no-lookup').hidden = can('customer.search');
  $('#result-create').hidden = !can('customer.create');
  clearTimeout(state.expiryTimer);
  if (typeof me.expires_at === 'number') {
    // At the absolute end of the session, ask the server; its 401 brings us back.
    const wait = Math.min(Math.max(me.expires_at - Date.now(), 0) + 1000, 2 ** 31 - 1);
    state.expiryTimer = setTimeout(() => {
      api('GET', '/v1/auth/me').catch(() => {});
    }, wait);
  }
  show('home');
}

// Back to sign-in, with `messageKey` shown there.
function endSession(messageKey) {
  state.user = null;
  state.csrf = '';
  clearTimeout(state.expiryTimer);
  renderWho();
  show('signin');
  if (messageKey) showMessage($('#signin-message'), messageKey);
}

async function onSignIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const username = $('#signin-username');
  const password = $('#signin-password');
  const error = $('#signin-error');
  hideMessage(error);
  if (!username.value.trim() || !password.value) {
    showMessage(error, 'signin_missing');
    (username.value.trim() ? password : username).focus();
    return;
  }
  await busy(form, async () => {
    try {
      const me = await api('POST', '/v1/auth/login',
                           { username: username.value.trim(), password: password.value });
      hideMessage($('#signin-message'));
      startSession(me);
    } catch (err) {
      password.value = '';
      if (err.code === 'invalid_credentials') {
        showMessage(error, 'signin_invalid');
      } else if (err.code === 'login_rate_limited') {
        // When to try again comes as a number, never parsed from the detail.
        if (err.retryAfterS !== null) {
          showMessage(error, 'signin_rate_limited',
                      { minutes: Math.max(1, Math.ceil(err.retryAfterS / 60)) });
        } else {
          showMessage(error, 'signin_rate_limited_later');
        }
      } else {
        showError(error, err);
      }
    }
  });
  if (state.view === 'signin') password.focus();
}

async function onSignOut() {
  try {
    await api('POST', '/v1/auth/logout');
  } catch (err) {
    // Already ended on the server: the employee still asked to sign out.
    if (err instanceof SessionEnded) {
      endSession('signed_out');
      return;
    }
    if (err.status === 0) {
      showMessage($('#home-message'), 'network_error');
      show('home');
      return;
    }
  }
  endSession('signed_out');
}

function clearSignIn() {
  $('#signin-username').value = '';
  $('#signin-password').value = '';
  hideMessage($('#signin-error'));
}

// ---------------------------------------------------------------- hand-over lookup

function clearLookupInput() {
  const input = $('#lookup-input');
  input.value = '';
  $('#lookup-show').checked = false;
  input.classList.remove('shown');
  hideMessage($('#lookup-error'));
}

function looksLikeEmail(text) {
  return text.includes('@') || /[a-z]/i.test(text);
}

async function onLookup(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const input = $('#lookup-input');
  let typed = input.value.trim();
  // Gone from the page before anything else happens.
  input.value = '';
  $('#lookup-show').checked = false;
  input.classList.remove('shown');
  hideMessage($('#lookup-error'));
  if (!typed) {
    showMessage($('#lookup-error'), 'handover_empty');
    input.focus();
    return;
  }
  const query = looksLikeEmail(typed) ? { email: typed } : { phone: typed };
  typed = '';
  await busy(form, async () => {
    try {
      const found = await api('POST', '/v1/customers/search', query);
      showResult(found?.matches ?? []);
    } catch (err) {
      if (err instanceof SessionEnded) return;
      showError($('#lookup-error'), err);
      input.focus();
    }
  });
}

// ---------------------------------------------------------------- fields

// One <div><dt><dd> row of a customer's field at the viewer's level.
function fieldRow(field, view, { revealable }) {
  const row = $('#field-row').content.firstElementChild.cloneNode(true);
  row.dataset.field = field;
  setText($('.field-label', row), `field_${field}`);
  const value = $('.field-value', row);
  const level = view.access?.[field] ?? 'none';
  if (level === 'none') {
    setText(value, 'value_none');
    value.classList.add('muted');
  } else if (level === 'match') {
    setText(value, 'value_match_only');
    value.classList.add('muted');
  } else if (typeof view[field] === 'string') {
    setLiteral(value, view[field]);
  } else {
    setText(value, 'value_not_given');
    value.classList.add('muted');
  }
  const canReveal = revealable && level === 'plaintext' && typeof view[field] === 'string' &&
                    can('customer.reveal');
  if (!canReveal) {
    for (const el of $$('.reveal-button, .countdown, .hide-button, .reveal-form', row)) el.remove();
  } else {
    wireReveal(row, field, view.id);
  }
  translateTree(row);
  return row;
}

// ---------------------------------------------------------------- result

function clearResult() {
  $('#result-list').replaceChildren();
  hideMessage($('#result-error'));
  $('#result-found').hidden = true;
  $('#result-none').hidden = true;
}

function showResult(matches) {
  clearResult();
  const title = $('#result-title');
  if (matches.length === 0) {
    setText(title, 'result_none');
    $('#result-none').hidden = false;
    show('result', can('customer.create') ? $('#result-create') : null);
    return;
  }
  if (matches.length === 1) {
    setText(title, 'result_found');
  } else {
    setText(title, 'result_found_many', { count: matches.length });
  }
  const list = $('#result-list');
  for (const match of matches) {
    const card = $('#match-card').content.firstElementChild.cloneNode(true);
    const fields = $('.fields', card);
    for (const f of FIELDS) fields.append(fieldRow(f, match, { revealable: false }));
    const open = $('.open-card', card);
    open.hidden = !can('customer.read');
    open.addEventListener('click', () => openCard(match.id, open));
    translateTree(card);
    list.append(card);
  }
  $('#result-found').hidden = false;
  show('result', $('.open-card', list));
}

// ---------------------------------------------------------------- card

async function openCard(id, button) {
  try {
    button.disabled = true;
    const view = await api('GET', `/v1/customers/${encodeURIComponent(id)}`);
    renderCard(view);
    show('card');
  } catch (err) {
    if (err instanceof SessionEnded) return;
    button.disabled = false;
    showError($('#result-error'), err);
  }
}

function renderCard(view) {
  clearCard();
  setLiteral($('#card-id'), view.id);
  const list = $('#card-fields');
  for (const f of FIELDS) list.append(fieldRow(f, view, { revealable: true }));
}

function clearCard() {
  for (const field of [...state.reveals.keys()]) maskAgain(field);
  $('#card-fields').replaceChildren();
  setLiteral($('#card-id'), '');
  hideMessage($('#card-message'));
  hideMessage($('#card-quota'));
}

function wireReveal(row, field, id) {
  const button = $('.reveal-button', row);
  const form = $('.reveal-form', row);
  const reason = $('.reveal-reason', row);
  const label = $('.reveal-label', row);
  const error = $('.reveal-error', row);
  reason.id = `reveal-reason-${field}`;
  label.htmlFor = reason.id;
  button.hidden = false;
  setText(button, 'reveal_field', { field: `@field_${field}` });

  const closeForm = () => {
    form.hidden = true;
    reason.value = '';
    hideMessage(error);
    button.hidden = false;
    button.focus();
  };
  button.addEventListener('click', () => {
    button.hidden = true;
    form.hidden = false;
    hideMessage(error);
    reason.focus();
  });
  $('.reveal-cancel', row).addEventListener('click', closeForm);
  reason.addEventListener('input', () => hideMessage(error));
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      closeForm();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideMessage(error);
    const why = reason.value.trim();
    if (!why || why.length > 200) {
      showMessage(error, 'reveal_reason_missing');
      reason.focus();
      return;
    }
    await busy(form, async () => {
      try {
        const out = await api('POST', `/v1/customers/${encodeURIComponent(id)}/reveal`,
                              { fields: [field], reason: why });
        reason.value = '';
        form.hidden = true;
        showRevealed(row, field, out.values?.[field]);
        if (typeof out.quota_remaining === 'number') {
          showMessage($('#card-quota'), 'quota_left', { count: out.quota_remaining });
        }
      } catch (err) {
        if (err instanceof SessionEnded) return;
        if (err.status === 403) {
          showMessage(error, 'reveal_forbidden');
        } else {
          showError(error, err);
        }
        reason.focus();
      }
    });
  });
  $('.hide-button', row).addEventListener('click', () => {
    maskAgain(field);
    button.focus();
  });
}

// Shows `plaintext` in the row for REVEAL_SECONDS, with a countdown.
function showRevealed(row, field, plaintext) {
  if (typeof plaintext !== 'string') return;
  const value = $('.field-value', row);
  const countdown = $('.countdown', row);
  const masked = value.textContent;
  const deadline = Date.now() + REVEAL_SECONDS * 1000;
  setLiteral(value, plaintext);
  value.classList.add('revealed');
  $('.reveal-button', row).hidden = true;
  countdown.hidden = false;
  $('.hide-button', row).hidden = false;
  const tick = () => {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      maskAgain(field);
      return;
    }
    setText(countdown, 'reveal_countdown', { seconds: left });
  };
  tick();
  state.reveals.set(field, { row, masked, timer: setInterval(tick, 1000) });
  $('.hide-button', row).focus();
}

function maskAgain(field) {
  const shown = state.reveals.get(field);
  if (!shown) return;
  state.reveals.delete(field);
  clearInterval(shown.timer);
  const { row } = shown;
  const value = $('.field-value', row);
  setLiteral(value, shown.masked);
  value.classList.remove('revealed');
  const countdown = $('.countdown', row);
  countdown.hidden = true;
  setLiteral(countdown, '');
  $('.hide-button', row).hidden = true;
  const button = $('.reveal-button', row);
  button.hidden = false;
  if (document.activeElement === document.body || !document.activeElement) button.focus();
}

// ---------------------------------------------------------------- new customer

// Records the customer's consent choices, with the notice version they saw,
// in the consent ledger: one entry per purpose, ticked or not, channel "web".
async function recordConsent(customerId, choices, noticeVersion) {
  for (const [purpose, granted] of Object.entries(choices)) {
    await api('PUT', `/v1/customers/${encodeURIComponent(customerId)}/consents/${purpose}`,
              { granted, channel: 'web', notice_version: noticeVersion });
  }
}

function consentChoices() {
  const out = {};
  for (const box of $$('[data-consent]')) out[box.dataset.consent] = box.checked;
  return out;
}

function clearNewForm() {
  for (const input of $$('#new-form input')) {
    if (input.type === 'checkbox') {
      input.checked = false;
    } else {
      input.value = '';
    }
    input.removeAttribute('aria-invalid');
  }
  for (const input of $$('#new-form .secret')) input.classList.remove('shown');
  hideMessage($('#new-error'));
}

const FIELD_OF_ERROR = {
  email_invalid: '#new-email',
  duplicate_email: '#new-email',
  contact_required: '#new-email',
  phone_invalid: '#new-phone',
  name_invalid: '#new-name',
};

async function onCreate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = $('#new-error');
  hideMessage(error);
  for (const input of $$('#new-form input')) input.removeAttribute('aria-invalid');
  const body = {};
  for (const f of FIELDS) {
    const v = $(`#new-${f}`).value.trim();
    if (v) body[f] = v;
  }
  const fail = (code, err) => {
    if (err) {
      showError(error, err);
    } else {
      showMessage(error, code);
    }
    const target = $(FIELD_OF_ERROR[code] || '#new-email');
    target.setAttribute('aria-invalid', 'true');
    target.focus();
  };
  if (!body.email && !body.phone) {
    fail('contact_required');
    return;
  }
  await busy(form, async () => {
    try {
      const view = await api('POST', '/v1/customers', body);
      await recordConsent(view.id, consentChoices(), NOTICE_VERSION);
      renderCard(view);
      show('card');
      showMessage($('#card-message'), 'created_notice');
    } catch (err) {
      if (err instanceof SessionEnded) return;
      fail(err.code, err);
    }
  });
}

function startNewCustomer() {
  show('new');
  setText($('#notice-version'), 'notice_version', { version: NOTICE_VERSION });
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('#lang-toggle').addEventListener('click', () => {
    state.lang = state.lang === 'en' ? 'fr' : 'en';
    applyLanguage();
  });
  $('#signin-form').addEventListener('submit', onSignIn);
  $('#sign-out').addEventListener('click', onSignOut);
  $('#start-lookup').addEventListener('click', () => show('handover'));
  $('#start-new').addEventListener('click', startNewCustomer);
  $('#result-create').addEventListener('click', startNewCustomer);
  $('#lookup-form').addEventListener('submit', onLookup);
  $('#new-form').addEventListener('submit', onCreate);
  for (const b of $$('.cancel-handover, .go-home')) b.addEventListener('click', () => show('home'));
  for (const box of $$('.show-toggle')) {
    box.addEventListener('change', () => {
      for (const id of box.getAttribute('aria-controls').split(' ')) {
        $(`#${id}`).classList.toggle('shown', box.checked);
      }
    });
  }
  // Typing again retires the message about the last attempt.
  $('#lookup-input').addEventListener('input', () => hideMessage($('#lookup-error')));
  $('#new-form').addEventListener('input', (e) => {
    if (e.target.type === 'checkbox') return;
    e.target.removeAttribute('aria-invalid');
    hideMessage($('#new-error'));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && (state.view === 'handover' || state.view === 'new')) show('home');
  });
  for (const type of ['keydown', 'pointerdown', 'input']) {
    document.addEventListener(type, resetIdleTimer, { passive: true });
  }
  // A value revealed on screen does not outlive the screen being hidden.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      for (const field of [...state.reveals.keys()]) maskAgain(field);
    }
  });
}

async function start() {
  wire();
  applyLanguage();
  try {
    startSession(await api('GET', '/v1/auth/me'));
  } catch (err) {
    show('signin');
    if (err.status === 0) showMessage($('#signin-error'), 'network_error');
  }
}

start();
