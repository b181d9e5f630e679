// The console's entry point: the login, the router and the refresh loop.
import { api, get, whenUnauthorized } from './api.js';
import { h } from './dom.js';
import * as dashboard from './dashboard.js';
import * as log from './log.js';
import * as blocking from './blocking.js';
import * as lists from './lists.js';
import * as rules from './rules.js';
import * as clients from './clients.js';
import * as settings from './settings.js';

const pages = { dashboard, log, blocking, lists, rules, clients, settings };
const main = document.getElementById('main');
const session = { access: '', open: false };
let stop = () => {};

function route() {
  stop();
  document.getElementById('toast').hidden = true;
  const [name, query] = location.hash.slice(1).split('?');
  const page = pages[name] || dashboard;
  for (const a of document.querySelectorAll('nav a')) {
    a.toggleAttribute('aria-current', a.getAttribute('href') === '#' + (pages[name] ? name : 'dashboard'));
    if (a.hasAttribute('aria-current')) a.setAttribute('aria-current', 'page');
  }
  main.replaceChildren();
  const ctx = { admin: session.access === 'admin', params: new URLSearchParams(query || '') };
  stop = page.render(main, ctx) || (() => {});
  main.focus({ preventScroll: true });
}

function showLogin(message) {
  stop();
  stop = () => {};
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  const err = h('p', { class: 'error', role: 'alert' }, message || '');
  const secret = h('input', { id: 'secret', type: 'password', autocomplete: 'current-password', required: true });
  const kind = h('select', { id: 'kind' }, h('option', { value: 'password' }, 'Password'), h('option', { value: 'token' }, 'API token'));
  const form = h('form', { class: 'card login', id: 'login' },
    h('h1', {}, 'Log in to cleandns'),
    h('label', { for: 'kind' }, 'With'), kind,
    h('label', { for: 'secret' }, 'Secret'), secret,
    h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Log in')), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', 'session', null, { [kind.value]: secret.value });
      secret.value = '';
      await start();
    } catch (e) {
      err.textContent = e.status === 429 ? 'Too many failed logins; wait a minute.' : 'Login failed: ' + e.message;
    }
  });
  main.replaceChildren(form);
  secret.focus();
}

async function start() {
  let info;
  try {
    info = await get('session');
  } catch (e) {
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, 'cleandns API: ' + e.message));
    return;
  }
  if (info.access === 'none') return showLogin();
  session.access = info.access;
  session.open = !!info.open;
  document.getElementById('nav').hidden = false;
  document.getElementById('logout').hidden = session.open;
  document.getElementById('who').textContent = info.open ? 'open (no password set)' : (info.access === 'admin' ? 'admin' : 'read-only');
  route();
}

document.getElementById('logout').addEventListener('click', async () => {
  await api('DELETE', 'session').catch(() => {});
  showLogin('Logged out.');
});
whenUnauthorized(() => showLogin('Your session ended; log in again.'));
window.addEventListener('hashchange', () => { if (session.access) route(); });
start();
