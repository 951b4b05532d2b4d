// councilperf's submission page. Sign in (auth.js), see what is due and
// enter values (entry.js), upload the template (sheet.js), write
// commentary (commentary.js); everything else this module wires together.
// Deep link: /submit?authority=croydon&period=2024-25%20Q1

import { live, query } from './api.js';
import {
  completeSignIn, demoPeople, demoSignIn, providers, session, signOut, startSignIn, whenExpired,
} from './auth.js';
import { openCommentary, refresh as refreshCommentary, wireCommentary } from './commentary.js';
import { $, busy, el, lastQuarter, notice, problem } from './dom.js';
import { loadDue, renderDue } from './entry.js';
import { wireSheet } from './sheet.js';

const view = { authority: '', period: '', me: null };
let providerList = [];
let closeLive = () => {};

const ROLE = { PARTNER: 'partner', OFFICER: 'officer', ADMIN: 'administrator', VIEWER: 'viewer', MEMBER: 'member', PLATFORM_ADMIN: 'platform administrator' };

function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, label]) => el('option', { value }, label)));
  if (chosen !== undefined && options.some(([v]) => v === chosen)) select.value = chosen;
}

function remember() {
  const q = new URLSearchParams();
  if (view.authority) q.set('authority', view.authority);
  if (view.period) q.set('period', view.period);
  history.replaceState(null, '', `/submit?${q.toString().replaceAll('+', '%20')}`);
}

// ---------------------------------------------------------------- Sign-in

async function showProviders() {
  view.authority = $('authority').value;
  remember();
  providerList = await providers(view.authority);
  fillSelect($('provider'), providerList.map((p, i) => [String(i), new URL(p.issuer).host]));
  $('provider-field').hidden = providerList.length < 2;
  $('sign-in').disabled = providerList.length === 0;
  if (!providerList.length) notice('No sign-in is registered for this council yet.');
}

async function signedOutView() {
  $('signed-out').hidden = false;
  $('signed-in').hidden = true;
  for (const id of ['due-section', 'sheet-section', 'commentary-section']) $(id).hidden = true;
  closeLive();
  const people = await demoPeople();
  $('demo').hidden = people.length === 0;
  fillSelect($('demo-person'), people.map((p) => [p.id, p.name]));
}

async function signedInView() {
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('due-section').hidden = false;
  $('sheet-section').hidden = false;
  $('period').value = view.period;
  await showDue();
}

// ---------------------------------------------------------------- Work

/** The commentary this person writes: a partner's, a councillor's or the service's. */
function commentaryKind(roles) {
  const mine = new Set(roles.map((r) => r.role));
  if (mine.has('PARTNER') && !mine.has('OFFICER') && !mine.has('ADMIN')) return 'PARTNER';
  if (mine.has('MEMBER') && !mine.has('OFFICER') && !mine.has('ADMIN')) return 'SCRUTINY';
  return 'SERVICE';
}

async function showDue() {
  const main = $('main');
  main.setAttribute('aria-busy', 'true');
  try {
    const me = await loadDue(view.period);
    if (!me) return;
    view.me = me;
    $('who').textContent = me.name ?? me.subject;
    $('roles').textContent = me.roles.length
      ? me.roles.map((r) => `${ROLE[r.role] ?? r.role}${r.partner ? ` for ${r.partner.name}` : ''}${r.authority ? ` at ${r.authority.name}` : ''}`).join('; ')
      : 'no role here yet: ask your council’s administrator';
    const kind = commentaryKind(me.roles);
    renderDue(me.submissions, (s) => openCommentary(s, kind).catch((e) => problem(e.message)));
    const plans = new Map(me.submissions.map((s) => [s.plan.id, `${s.plan.authority.name}: ${s.plan.title}`]));
    fillSelect($('sheet-plan'), [...plans], $('sheet-plan').value);
    $('sheet-section').hidden = plans.size === 0;
    listen(me.roles);
    problem('');
    main.dataset.period = view.period;
  } catch (e) {
    problem(`Could not load what is due: ${e.message}`);
  } finally {
    main.setAttribute('aria-busy', 'false');
  }
}

// A burst of events (a whole sheet) makes one refresh.
let pending = null;
function changed() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    showDue();
    refreshCommentary().catch(() => {});
  }, 300);
}

let listening = '';
function listen(roles) {
  const authorities = [...new Set(roles.map((r) => r.authority?.slug).filter(Boolean))].sort();
  const key = authorities.join(',');
  if (key === listening) return;
  closeLive();
  listening = key;
  const subscriptions = authorities.flatMap((authority) => [
    { query: 'subscription($a: String!) { resultChanged(authority: $a) { period } }', variables: { a: authority } },
    { query: 'subscription($a: String!) { commentaryAdded(authority: $a) { id } }', variables: { a: authority } },
  ]);
  if (!subscriptions.length) return;
  const close = live(subscriptions, changed, (state) => {
    $('live').textContent = state;
  });
  closeLive = () => {
    close();
    listening = '';
  };
}

// ---------------------------------------------------------------- Start

async function start() {
  const q = new URLSearchParams(location.search);
  let resume = {};
  try {
    resume = (await completeSignIn()) ?? {};
  } catch (e) {
    problem(e.message);
  }
  view.authority = resume.authority ?? q.get('authority') ?? '';
  view.period = resume.period ?? q.get('period') ?? lastQuarter();

  const { authorities } = await query('{ authorities { slug name plans { id } } }');
  const councils = authorities.filter((a) => a.plans.length);
  fillSelect($('authority'), councils.map((a) => [a.slug, a.name]), view.authority);
  $('authority').addEventListener('change', () => showProviders());
  await showProviders();

  const signIn = $('sign-in');
  signIn.addEventListener('click', () =>
    busy(signIn, async () => {
      const provider = providerList[Number($('provider').value) || 0];
      if (provider) await startSignIn(provider, { authority: view.authority, period: view.period });
    }),
  );
  const demo = $('demo-sign-in');
  demo.addEventListener('click', () =>
    busy(demo, async () => {
      try {
        await demoSignIn($('demo-person').value);
        notice(`Signed in as ${session().name} (demo).`);
        await signedInView();
        $('due-heading').focus();
      } catch (e) {
        problem(e.message);
      }
    }),
  );
  $('sign-out').addEventListener('click', async () => {
    signOut();
    notice('Signed out.');
    await signedOutView();
    $('sign-in').focus();
  });
  whenExpired(() => {
    problem('Your sign-in has ended: sign in again to carry on.');
    signedOutView();
  });
  $('period-form').addEventListener('submit', (event) => {
    event.preventDefault();
    view.period = $('period').value.trim();
    remember();
    showDue();
  });
  document.addEventListener('councilperf:changed', changed);
  wireSheet(view);
  wireCommentary();

  remember();
  if (session()) await signedInView();
  else await signedOutView();
  $('main').setAttribute('aria-busy', 'false');
  // Tests wait for this: the page has settled on who is signed in.
  $('main').dataset.ready = session() ? 'signed-in' : 'signed-out';
}

start().catch((e) => problem(e.message));
