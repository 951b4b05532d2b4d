// The councilperf dashboard: a worked example of a dashboard on the public
// GraphQL endpoint. It asks only for the fields it shows, renders with the
// DOM (never innerHTML, so no council's text can inject markup) and draws
// its chart as SVG. Deep links: /?authority=kent&plan=ID&period=2023-24%20Q1

// ---------------------------------------------------------------- GraphQL

/** Runs one operation; a GraphQL error becomes a thrown Error. */
async function graphql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const AUTHORITIES = `{ authorities { slug name plans { id } } }`;

const PLANS = `query Plans($slug: String!) {
  authority(slug: $slug) { plans { id title publishedPeriods } }
}`;

// A node's id, code and title; the tree is fetched four levels deep and
// any measure whose node lies deeper is listed under "Other measures".
const REPORT = `query Report($plan: ID!, $period: Period!, $previous: Period!) {
  plan(id: $plan) {
    ragRule { blueMarginPercent blueMarginUnits }
    breakdown(period: $period) {
      blue green amber red noTarget noData percentGreen
      improving stable declining notComparable
    }
    nodes { ...Node children { ...Node children { ...Node children { ...Node } } } }
    measures {
      id code title unit accumulation node { id }
      result(period: $period) { value target status direction quality asAt forecast { value period status } }
    }
    comparison(from: $previous, to: $period) {
      improvedMoves { ...Move }
      worsenedMoves { ...Move }
    }
    exceptions(period: $period) {
      measure { code title unit }
      value target status
      commentary { kind author body }
      actionPlans { title actions { description owner dueOn status overdue } }
    }
  }
}
fragment Node on PlanNode { id code title }
fragment Move on StatusMove {
  from { status }
  to { status measure { code title } }
}`;

const TREND = `query Trend($measure: ID!, $period: Period!) {
  measure(id: $measure) {
    code title unit definitions { effectiveFrom description }
    results(to: $period) { period value target status }
  }
}`;

// Benchmarks (README, "Comparing councils") may be missing from
// the server: then this query fails validation and the panel stays hidden.
const BENCHMARK = `query Benchmark($measure: ID!, $period: Period!, $authority: String!) {
  measure(id: $measure) {
    benchmark(period: $period) {
      period count median lowerQuartile upperQuartile
      metric { code title source }
      group { name }
      position(authority: $authority) { rank }
      values { authority { slug name } value rank quartile }
    }
  }
}`;

// ---------------------------------------------------------------- Periods

/**
 * The period before `period`, following the API's Period scalar: "2023-24 Q1",
 * "2023-24" (a financial year: the second part is the next year's last two
 * digits) or "2024-02" (a month).
 */
function previousPeriod(period) {
  const [head, quarter] = period.split(' ');
  const [year, nn] = head.split('-').map(Number);
  const financialYear = (y) => `${y}-${String((y + 1) % 100).padStart(2, '0')}`;
  if (quarter) {
    const q = Number(quarter.slice(1));
    return q > 1 ? `${head} Q${q - 1}` : `${financialYear(year - 1)} Q4`;
  }
  if (nn === (year + 1) % 100) return financialYear(year - 1);
  return nn > 1 ? `${year}-${String(nn - 1).padStart(2, '0')}` : `${year - 1}-12`;
}

// ---------------------------------------------------------------- Words

// Status and direction are shown as colour AND a word or symbol.
const STATUS = {
  BLUE: 'Blue (exceeded)',
  GREEN: 'Green',
  AMBER: 'Amber',
  RED: 'Red',
  NO_TARGET: 'No target',
  NO_DATA: 'No data',
};
const DIRECTION = {
  IMPROVING: '↑ Improving',
  STABLE: '→ Stable',
  DECLINING: '↓ Declining',
  NOT_COMPARABLE: '– Not comparable',
};

// What a value adds up over, beside it (README, "Worked example: a
// cumulative measure"); a period standing alone says nothing.
const ACCUMULATION = {
  CUMULATIVE: 'cumulative',
  ROLLING: 'rolling 12 months',
};

const numberFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

function formatValue(value, unit) {
  if (value === null || value === undefined) return '–';
  const n = numberFormat.format(value);
  if (unit === 'PERCENT') return `${n}%`;
  if (unit === 'CURRENCY') return `£${n}`;
  if (unit === 'DAYS') return `${n} days`;
  return n;
}

// ---------------------------------------------------------------- DOM

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const statusChip = (status) => el('span', { class: `status ${status}` }, STATUS[status]);

// The year-end forecast under the value, with the status it would earn in words.
function forecastNote(result, unit) {
  const f = result.forecast;
  if (!f) return '';
  return el(
    'small',
    { class: 'forecast', 'data-forecast': f.status },
    `Forecast for ${f.period}: ${formatValue(f.value, unit)} (${STATUS[f.status]})`,
  );
}

// A figure's data quality beside it, in words, unless it is final.
const QUALITY = { PROVISIONAL: 'provisional', REVISED: 'revised', ESTIMATED: 'estimated' };
function qualityNote(result) {
  const word = QUALITY[result.quality];
  if (!word) return '';
  const asAt = result.asAt ? `, as at ${result.asAt}` : '';
  return el('small', { class: 'quality', 'data-quality': result.quality }, ` (${word}${asAt})`);
}

function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, label]) => el('option', { value }, label)));
  select.value = chosen;
}

// ---------------------------------------------------------------- State

// What is shown; the URL is the source of truth, so every view is a link.
const view = { authority: '', plan: '', period: '', measure: '' };
let authorities = [];
const plansBySlug = new Map();

function wantedFromUrl() {
  const q = new URLSearchParams(location.search);
  return {
    authority: q.get('authority') ?? '',
    plan: q.get('plan') ?? '',
    period: q.get('period') ?? '',
    measure: q.get('measure') ?? '',
  };
}

function urlOf(v) {
  const q = new URLSearchParams({ authority: v.authority, plan: v.plan, period: v.period });
  if (v.measure) q.set('measure', v.measure);
  // URLSearchParams writes spaces as "+"; %20 is the documented form.
  return `/?${q.toString().replaceAll('+', '%20')}`;
}

async function plansOf(slug) {
  if (!plansBySlug.has(slug)) {
    const data = await graphql(PLANS, { slug });
    plansBySlug.set(slug, data.authority?.plans ?? []);
  }
  return plansBySlug.get(slug);
}

/**
 * Settles what to show from what was asked (falling back to the first
 * authority, its first plan and that plan's latest published quarter), fills
 * the pickers, records the URL and renders. `history` is 'push' for a
 * picker change, 'replace' otherwise.
 */
async function show(wanted, history) {
  const authority = authorities.find((a) => a.slug === wanted.authority) ?? authorities[0];
  if (!authority) return problem('This server holds no authority yet.');
  const plans = await plansOf(authority.slug);
  const plan = plans.find((p) => p.id === wanted.plan) ?? plans[0];
  if (!plan) return problem(`${authority.name} has no plan yet.`);
  const periods = [...plan.publishedPeriods];
  // A deep link may name a period not (yet) published: offer it anyway.
  if (wanted.period && !periods.includes(wanted.period)) periods.push(wanted.period);
  // By default the latest quarter: the quarterly report, even where monthly
  // measures publish months after it.
  const period = wanted.period || periods.findLast((p) => p.includes(' Q')) || periods.at(-1);
  if (!period) return problem(`${plan.title} has no published period yet.`);

  Object.assign(view, { authority: authority.slug, plan: plan.id, period, measure: wanted.measure });
  fillSelect($('authority'), authorities.map((a) => [a.slug, a.name]), view.authority);
  fillSelect($('plan'), plans.map((p) => [p.id, p.title]), view.plan);
  fillSelect($('period'), periods.map((p) => [p, p]).reverse(), view.period);
  if (history === 'push') window.history.pushState(null, '', urlOf(view));
  else window.history.replaceState(null, '', urlOf(view));

  document.title = `${authority.name}: ${plan.title}, ${period}`;
  $('heading').textContent = `${authority.name}: ${plan.title}`;
  const pack = (ext) => `/plans/${encodeURIComponent(plan.id)}/report.${ext}?period=${encodeURIComponent(period)}`;
  $('report-xlsx').href = pack('xlsx');
  $('report-csv').href = pack('csv');
  listen(view.authority, view.plan);
  await render();
}

// Answers to an older request are dropped when a newer one was made.
let generation = 0;

async function render() {
  const mine = ++generation;
  const main = $('dashboard');
  main.setAttribute('aria-busy', 'true');
  try {
    const previous = previousPeriod(view.period);
    const { plan } = await graphql(REPORT, { plan: view.plan, period: view.period, previous });
    if (mine !== generation) return;
    $('problem').hidden = true;
    renderBreakdown(plan.breakdown, plan.ragRule);
    $('previous').textContent = previous;
    renderMovers($('improved'), plan.comparison.improvedMoves);
    renderMovers($('worsened'), plan.comparison.worsenedMoves);
    renderTree(plan.nodes, plan.measures);
    renderExceptions(plan.exceptions);
    const chosen =
      plan.measures.find((m) => m.code === view.measure) ??
      plan.measures.find((m) => m.code === plan.exceptions[0]?.measure.code) ??
      plan.measures[0];
    await selectMeasure(chosen);
    // Tests wait for this: the period whose figures are on the page.
    main.dataset.period = view.period;
  } catch (error) {
    if (mine === generation) problem(`Could not load the report: ${error.message}`);
  } finally {
    if (mine === generation) main.setAttribute('aria-busy', 'false');
  }
}

function problem(message) {
  $('problem').textContent = message;
  $('problem').hidden = false;
}

// ---------------------------------------------------------------- Panels

function renderBreakdown(b, rule) {
  for (const key of ['blue', 'green', 'amber', 'red', 'noTarget', 'noData']) {
    document.querySelector(`[data-breakdown="${key}"]`).textContent = b[key];
  }
  // Blue only where a rule can rate it: a plan's or, for a measure's own rule, a count.
  const rated = rule.blueMarginPercent !== null || rule.blueMarginUnits !== null || b.blue > 0;
  document.querySelector('[data-breakdown="blue"]').parentElement.hidden = !rated;
  for (const key of ['improving', 'stable', 'declining', 'notComparable']) {
    document.querySelector(`[data-direction="${key}"]`).textContent = b[key];
  }
  $('percent-green').textContent = b.percentGreen === null ? '–' : `${Math.round(b.percentGreen)}%`;
}

function renderMovers(list, moves) {
  const items = moves.map(({ from, to }) =>
    el('li', {}, `${to.measure.code} ${to.measure.title}: `, statusChip(from.status), ' → ', statusChip(to.status)),
  );
  list.replaceChildren(...(items.length ? items : [el('li', {}, 'None')]));
}

/** The node tree as table rows: a heading row per node, a row per measure. */
function renderTree(nodes, allMeasures) {
  const byNode = Map.groupBy(allMeasures, (m) => m.node?.id ?? '');
  const rows = [];
  const shown = new Set();
  const walk = (node, depth) => {
    shown.add(node.id);
    rows.push(
      el('tr', { class: 'node' }, el('th', { colspan: '5', scope: 'colgroup', class: `depth-${depth}` }, `${node.code} ${node.title}`)),
    );
    for (const m of byNode.get(node.id) ?? []) rows.push(measureRow(m, depth + 1));
    for (const child of node.children ?? []) walk(child, depth + 1);
  };
  nodes.forEach((node) => walk(node, 0));
  const others = allMeasures.filter((m) => !shown.has(m.node?.id));
  if (others.length) {
    rows.push(el('tr', { class: 'node' }, el('th', { colspan: '5', scope: 'colgroup' }, 'Other measures')));
    others.forEach((m) => rows.push(measureRow(m, 1)));
  }
  $('measures').replaceChildren(...rows);
}

function measureRow(m, depth) {
  const r = m.result;
  const pick = el('button', { type: 'button', class: 'link' }, `${m.code} ${m.title}`);
  pick.addEventListener('click', () => {
    view.measure = m.code;
    window.history.replaceState(null, '', urlOf(view));
    selectMeasure(m);
    $('trend').scrollIntoView({ behavior: 'smooth' });
  });
  // Tests find one row per measure by these two attributes.
  return el(
    'tr',
    { 'data-measure': m.code, 'data-status': r.status },
    el('td', { class: `depth-${depth}` }, pick),
    el(
      'td',
      { class: 'number' },
      formatValue(r.value, m.unit),
      qualityNote(r),
      forecastNote(r, m.unit),
      ...(ACCUMULATION[m.accumulation] ? [el('span', { class: 'accumulation' }, ACCUMULATION[m.accumulation])] : []),
    ),
    el('td', { class: 'number' }, formatValue(r.target, m.unit)),
    el('td', {}, statusChip(r.status)),
    el('td', { class: `direction ${r.direction}` }, DIRECTION[r.direction]),
  );
}

function renderExceptions(exceptions) {
  const items = exceptions.map((x) =>
    el(
      'article',
      { class: `exception ${x.status}` },
      el('h3', {}, statusChip(x.status), ` ${x.measure.code} ${x.measure.title}`),
      el('p', {}, `Value ${formatValue(x.value, x.measure.unit)} against a target of ${formatValue(x.target, x.measure.unit)}.`),
      ...x.commentary.map((c) => el('blockquote', {}, el('p', {}, c.body), el('footer', {}, `${c.author}, ${c.kind.toLowerCase()} commentary`))),
      ...x.actionPlans.map((plan) =>
        el(
          'div',
          { class: 'action-plan' },
          el('h4', {}, `Action plan: ${plan.title}`),
          el(
            'ul',
            {},
            ...plan.actions.map((a) =>
              el(
                'li',
                {},
                `${a.description} (${a.owner}${a.dueOn ? `, due ${a.dueOn}` : ''}; ${a.status.replaceAll('_', ' ').toLowerCase()})`,
                a.overdue ? el('strong', { class: 'overdue' }, ' Overdue') : '',
              ),
            ),
          ),
        ),
      ),
    ),
  );
  $('exception-list').replaceChildren(...(items.length ? items : [el('p', {}, 'No measure is red or amber.')]));
}

// ---------------------------------------------------------------- Measure

async function selectMeasure(measure) {
  if (!measure) return;
  $('trend-title').textContent = `${measure.code} ${measure.title}`;
  const [trend] = await Promise.all([
    graphql(TREND, { measure: measure.id, period: view.period }).catch(() => null),
    showBenchmark(measure),
  ]);
  if (trend?.measure) drawTrend(trend.measure.results.slice(-8), trend.measure.unit, trend.measure.definitions);
}

/** The measure's national metric across all councils, where it follows one. */
async function showBenchmark(measure) {
  const panel = $('benchmark');
  let benchmark = null;
  try {
    const variables = { measure: measure.id, period: view.period, authority: view.authority };
    benchmark = (await graphql(BENCHMARK, variables)).measure?.benchmark;
  } catch {
    // A server without benchmarks refuses the query: no panel.
  }
  panel.hidden = !benchmark;
  if (!benchmark) return;
  const f = (v) => formatValue(v, measure.unit);
  const { metric, count } = benchmark;
  $('benchmark-title').textContent = `${metric.code} ${metric.title}, ${benchmark.period}, ${benchmark.group.name}`;
  const rank = benchmark.position?.rank;
  $('benchmark-summary').textContent = count
    ? `${count} councils: median ${f(benchmark.median)}, middle half from ${f(benchmark.lowerQuartile)} ` +
      `to ${f(benchmark.upperQuartile)}.${rank ? ` This council ranks ${rank} of ${count}.` : ''} ` +
      `Source: ${metric.source ?? 'councils’ published results'}.`
    : `No council has a published value for ${benchmark.period} yet.`;
  $('benchmark-values').replaceChildren(
    ...benchmark.values.map((v) =>
      el(
        'tr',
        v.authority.slug === view.authority ? { class: 'ours' } : {},
        el('td', { class: 'number' }, v.rank ?? '–'),
        el('td', {}, v.authority.name),
        el('td', { class: 'number' }, f(v.value)),
        el('td', { class: 'number' }, v.quartile ?? '–'),
      ),
    ),
  );
}

// ---------------------------------------------------------------- Chart

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text = '') {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/** A five-pointed star's path around (x, y). */
function star(x, y, r) {
  const points = Array.from({ length: 10 }, (_, i) => {
    const [angle, radius] = [(Math.PI * i) / 5 - Math.PI / 2, i % 2 ? r * 0.45 : r];
    return `${(x + radius * Math.cos(angle)).toFixed(1)},${(y + radius * Math.sin(angle)).toFixed(1)}`;
  });
  return `M${points.join(' L')} Z`;
}

// Each status has its own marker shape, so the chart never relies on colour.
function marker(status, x, y) {
  const s = 6;
  const shapes = {
    BLUE: () => svg('path', { d: star(x, y, s + 2) }),
    GREEN: () => svg('circle', { cx: x, cy: y, r: s }),
    AMBER: () => svg('path', { d: `M${x},${y - s - 1} L${x + s + 1},${y + s} L${x - s - 1},${y + s} Z` }),
    RED: () => svg('rect', { x: x - s, y: y - s, width: 2 * s, height: 2 * s }),
  };
  const shape = (shapes[status] ?? (() => svg('path', { d: `M${x},${y - s} L${x + s},${y} L${x},${y + s} L${x - s},${y} Z` })))();
  shape.setAttribute('class', `marker ${status}`);
  return shape;
}

/** A line of values (and a dashed line of targets) over up to eight periods. */
function drawTrend(results, unit, definitions = []) {
  const chart = $('chart');
  const [width, height, left, right, top, bottom] = [640, 240, 64, 16, 16, 40];
  const numbers = results.flatMap((r) => [r.value, r.target]).filter((v) => v !== null);
  if (!numbers.length) {
    chart.replaceChildren(svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'No results yet'));
    return;
  }
  let [low, high] = [Math.min(...numbers), Math.max(...numbers)];
  const pad = (high - low) * 0.1 || Math.abs(high) * 0.1 || 1;
  [low, high] = [low - pad, high + pad];
  const x = (i) => left + ((width - left - right) * (i + 0.5)) / results.length;
  const y = (v) => top + ((height - top - bottom) * (high - v)) / (high - low);
  // Where the measure's definition changed: the series starts again there.
  const breaks = definitions
    .map((d) => [results.findIndex((r) => r.period === d.effectiveFrom), d.description])
    .filter(([i]) => i > 0);
  const breakAt = new Set(breaks.map(([i]) => i));
  // A line through the points that have a value, broken where one is missing
  // and where the definition changed.
  const line = (key) =>
    results
      .map((r, i) => (r[key] === null ? null : `${x(i)},${y(r[key])}`))
      .reduce(
        (d, p, i, all) => (p === null ? d : `${d}${i && all[i - 1] !== null && !breakAt.has(i) ? 'L' : 'M'}${p} `),
        '',
      );

  const parts = [];
  for (const v of [low + pad, (low + high) / 2, high - pad]) {
    parts.push(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    parts.push(svg('text', { class: 'axis', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, formatValue(v, unit)));
  }
  for (const [i, description] of breaks) {
    const at = (x(i - 1) + x(i)) / 2;
    const mark = svg('g', { class: 'definition-break' });
    mark.append(
      svg('line', { x1: at, x2: at, y1: top, y2: height - bottom }),
      svg('text', { x: at + 4, y: top + 10 }, 'Definition changed'),
      svg('title', {}, `Definition changed from ${results[i].period}: ${description}`),
    );
    parts.push(mark);
  }
  parts.push(svg('path', { class: 'target', d: line('target') }));
  parts.push(svg('path', { class: 'value', d: line('value') }));
  results.forEach((r, i) => {
    parts.push(svg('text', { class: 'axis', x: x(i), y: height - bottom + 18, 'text-anchor': 'middle' }, r.period));
    if (r.value === null) return;
    const point = marker(r.status, x(i), y(r.value));
    point.append(svg('title', {}, `${r.period}: ${formatValue(r.value, unit)} (${STATUS[r.status]}, target ${formatValue(r.target, unit)})`));
    parts.push(point);
  });
  parts.push(
    svg('text', { class: 'legend', x: left, y: height - 6 }, 'Solid: value (★ blue, ● green, ▲ amber, ■ red, ◆ unrated). Dashed: target.'),
  );
  chart.replaceChildren(...parts);
}

// ---------------------------------------------------------------- Live

// Live updates over graphql-transport-ws (README, "Live updates"): on any
// event for this authority and plan, the report is fetched again. Where the
// server has no subscriptions, or the socket fails, the page just is not live.
let socket = null;

function listen(authority, plan) {
  if (socket?.key === `${authority}/${plan}`) return;
  socket?.close();
  const url = new URL('/graphql/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, 'graphql-transport-ws');
  socket = Object.assign(ws, { key: `${authority}/${plan}` });
  const send = (message) => ws.send(JSON.stringify(message));
  const subscriptions = {
    results: `subscription($authority: String!, $plan: ID) { resultChanged(authority: $authority, planId: $plan) { period } }`,
    publications: `subscription($authority: String!) { periodPublished(authority: $authority) { period } }`,
  };
  let refresh = null;
  ws.onopen = () => send({ type: 'connection_init', payload: {} });
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'connection_ack') {
      for (const [id, query] of Object.entries(subscriptions)) {
        send({ id, type: 'subscribe', payload: { query, variables: { authority, plan } } });
      }
      $('live').textContent = 'Live';
    } else if (message.type === 'error') {
      $('live').textContent = 'Not live';
    } else if (message.type === 'ping') {
      send({ type: 'pong' });
    } else if (message.type === 'next') {
      // A burst of events (a whole sheet imported) makes one refresh.
      clearTimeout(refresh);
      refresh = setTimeout(render, 300);
    }
  };
  ws.onclose = () => {
    if (socket === ws) $('live').textContent = 'Not live';
  };
}

// ---------------------------------------------------------------- Start

async function start() {
  try {
    // Councils known only for benchmarking have no plan to show.
    authorities = (await graphql(AUTHORITIES)).authorities.filter((a) => a.plans.length);
  } catch (error) {
    return problem(`Could not reach the API: ${error.message}`);
  }
  const picked = (changes) => show({ ...view, ...changes }, 'push').catch((e) => problem(e.message));
  $('authority').addEventListener('change', (e) => picked({ authority: e.target.value, plan: '', period: '', measure: '' }));
  $('plan').addEventListener('change', (e) => picked({ plan: e.target.value, period: '', measure: '' }));
  $('period').addEventListener('change', (e) => picked({ period: e.target.value }));
  window.addEventListener('popstate', () => show(wantedFromUrl(), 'replace'));
  await show(wantedFromUrl(), 'replace').catch((e) => problem(e.message));
}

start();
