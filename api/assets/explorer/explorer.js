// The API explorer: runs the operation in the form against /graphql, and
// lists the schema's types from introspection, each with its fields, their
// arguments and descriptions. Everything the page shows from a response is
// set as text, never as markup.

const $ = (id) => document.getElementById(id);
const ENDPOINT = new URL('/graphql', location.href).toString();

// The token stays in this tab only: closing the tab forgets it.
const TOKEN_KEY = 'councilperf.explorer.token';

const INTROSPECTION = `query ExplorerSchema {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name description
      fields(includeDeprecated: true) {
        name description isDeprecated deprecationReason
        args { name description defaultValue type { ...Ref } }
        type { ...Ref }
      }
      inputFields { name description defaultValue type { ...Ref } }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    }
  }
}
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}`;

/** A JSON object from a text box, or an error naming the box. */
function parsed(id, what) {
  const text = $(id).value.trim();
  if (!text) return {};
  const value = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object`);
  }
  return value;
}

/** POSTs one operation with the form's token and headers; the parsed body. */
async function post(query, variables, operationName) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  Object.assign(headers, parsed('headers', 'More headers'));
  const token = $('token').value.trim();
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, body: await response.json() };
}

async function run(event) {
  event?.preventDefault();
  const status = $('status');
  status.textContent = 'Running…';
  const started = performance.now();
  try {
    const { status: code, body } = await post($('query').value, parsed('variables', 'Variables'));
    $('result').textContent = JSON.stringify(body, null, 2);
    status.textContent = `HTTP ${code} in ${Math.round(performance.now() - started)} ms`;
    document.body.dataset.ran = String(Number(document.body.dataset.ran || 0) + 1);
  } catch (e) {
    $('result').textContent = String(e.message || e);
    status.textContent = 'Not sent or not understood';
  }
}

/** `[Measure!]!` from an introspected type reference. */
function typeName(ref) {
  if (!ref) return '';
  if (ref.kind === 'NON_NULL') return `${typeName(ref.ofType)}!`;
  if (ref.kind === 'LIST') return `[${typeName(ref.ofType)}]`;
  return ref.name;
}

/** The named type a reference ends at. */
function named(ref) {
  return ref.ofType ? named(ref.ofType) : ref.name;
}

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** A link to another type's documentation. */
function typeLink(ref) {
  const a = element('a', typeName(ref), 'type');
  a.href = `#${named(ref)}`;
  return a;
}

let types = new Map();

function showList() {
  $('type-view').hidden = true;
  $('type-list').hidden = false;
  const filter = $('filter').value.trim().toLowerCase();
  const list = $('type-list');
  list.replaceChildren();
  for (const t of types.values()) {
    if (t.name.startsWith('__') || !t.name.toLowerCase().includes(filter)) continue;
    const li = element('li');
    const a = element('a', t.name);
    a.href = `#${t.name}`;
    li.append(a, element('span', ` ${t.kind.toLowerCase().replace('_', ' ')}`, 'kind'));
    list.append(li);
  }
}

function deprecation(item) {
  return item.isDeprecated ? element('p', `Deprecated: ${item.deprecationReason || 'no reason given'}`, 'deprecated') : null;
}

function showType(name) {
  const t = types.get(name);
  if (!t) return showList();
  $('type-list').hidden = true;
  $('type-view').hidden = false;
  $('type-name').textContent = `${name} (${t.kind.toLowerCase().replace('_', ' ')})`;
  $('type-description').textContent = t.description || '';
  const fields = $('type-fields');
  fields.replaceChildren();
  for (const f of t.fields || t.inputFields || []) {
    const dt = element('dt');
    dt.append(element('code', f.name));
    if (f.args?.length) {
      dt.append('(');
      f.args.forEach((a, i) => {
        if (i) dt.append(', ');
        dt.append(`${a.name}: `, typeLink(a.type));
      });
      dt.append(')');
    }
    dt.append(': ', typeLink(f.type));
    const dd = element('dd', f.description || '');
    for (const a of f.args || []) {
      if (a.description) dd.append(element('p', `${a.name}: ${a.description}`, 'argument'));
    }
    const old = deprecation(f);
    if (old) dd.append(old);
    fields.append(dt, dd);
  }
  for (const v of t.enumValues || []) {
    const dd = element('dd', v.description || '');
    const old = deprecation(v);
    if (old) dd.append(old);
    fields.append(element('dt', v.name), dd);
  }
}

function route() {
  const name = decodeURIComponent(location.hash.slice(1));
  if (name) showType(name);
  else showList();
}

async function loadSchema() {
  try {
    const { body } = await post(INTROSPECTION, {}, 'ExplorerSchema');
    if (!body.data) throw new Error(JSON.stringify(body.errors ?? body));
    types = new Map(body.data.__schema.types.map((t) => [t.name, t]));
    route();
    document.body.dataset.schema = String(types.size);
  } catch (e) {
    $('type-list').replaceChildren(element('li', `The schema could not be read: ${e.message || e}`));
  }
}

$('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
$('token').addEventListener('change', () => sessionStorage.setItem(TOKEN_KEY, $('token').value.trim()));
$('operation').addEventListener('submit', run);
$('operation').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(e);
});
$('filter').addEventListener('input', () => {
  if (location.hash) history.pushState(null, '', location.pathname);
  showList();
});
$('back').addEventListener('click', () => {
  history.pushState(null, '', location.pathname);
  showList();
});
window.addEventListener('hashchange', route);
loadSchema();
