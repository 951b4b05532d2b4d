// What is due, and entering values: one table per plan, a row per measure
// and period it reports in (a quarter's three months for a monthly
// measure), each with its unit, previous value and target beside a form.
// Tests find a row by `data-measure="CODE"` (and `data-period`).

import { ApiError, mutate, query } from './api.js';
import { $, busy, el, fieldError, formatValue, formatWhen, notice } from './dom.js';

export const DUE = `query Due($period: Period!) {
  me {
    subject name
    roles { role authority { slug name } partner { slug name } }
    submissions(period: $period) {
      period dueOn late outstanding
      plan { id title authority { slug name } }
      measure { id code title unit frequency partner { name } }
      result { value target previousValue status version submittedAt submittedBy }
    }
  }
}`;

const SUBMIT = `mutation Submit($input: SubmitResultInput!) {
  submitResult(input: $input) { value status version submittedAt submittedBy }
}`;

const STATUS = { BLUE: 'Blue (exceeded)', GREEN: 'Green', AMBER: 'Amber', RED: 'Red', NO_TARGET: 'No target', NO_DATA: 'No data' };
const UNIT = { PERCENT: 'per cent', COUNT: 'a count', RATE: 'a rate', DAYS: 'days', SECONDS: 'seconds', CURRENCY: 'pounds', SCORE: 'a score', OTHER: 'a number' };

const rowKey = (s) => `${s.measure.code}@${s.period}`;
const safeId = (key) => key.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * Draws the submissions grouped by plan. What a person was typing (and
 * where the focus was) survives a redraw, as a live event redraws the
 * table while they work.
 */
export function renderDue(submissions, onCommentary) {
  const typed = new Map(
    [...document.querySelectorAll('#plans input[data-key]')].map((i) => [i.dataset.key, i.value]),
  );
  const said = new Map([...document.querySelectorAll('#plans .error')].map((e) => [e.id, e.textContent]));
  const focused = document.activeElement?.id;
  const byPlan = Map.groupBy(submissions, (s) => s.plan.id);
  const outstanding = submissions.filter((s) => s.outstanding);
  const late = outstanding.filter((s) => s.late);
  $('due-summary').textContent = submissions.length
    ? `${outstanding.length} of ${submissions.length} outstanding${late.length ? `, ${late.length} late` : ''}.`
    : 'Nothing for you to submit in this period.';
  const tables = [...byPlan.values()].map((rows) => {
    const { plan } = rows[0];
    const headingId = `plan-${plan.id}`;
    return el(
      'section',
      { class: 'plan', 'aria-labelledby': headingId },
      el('h3', { id: headingId }, `${plan.authority.name}: ${plan.title}`),
      el(
        'div',
        { class: 'scroll' },
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ...['Measure', 'Period', 'Due', 'Previous', 'Target', 'Submitted', 'Enter a value', 'Commentary'].map((h) =>
                el('th', { scope: 'col' }, h),
              ),
            ),
          ),
          el('tbody', {}, ...rows.map((s) => row(s, onCommentary))),
        ),
      ),
    );
  });
  $('plans').replaceChildren(...tables);
  for (const [key, value] of typed) {
    const input = document.querySelector(`#plans input[data-key="${CSS.escape(key)}"]`);
    if (input) input.value = value;
  }
  for (const [id, text] of said) {
    const error = document.getElementById(id);
    const input = document.querySelector(`[aria-describedby="${CSS.escape(id)}"]`);
    if (error && input && text) fieldError(input, error, text);
  }
  if (focused) document.getElementById(focused)?.focus();
}

function row(s, onCommentary) {
  const { measure: m, result: r } = s;
  const key = rowKey(s);
  const id = safeId(key);
  const input = el('input', {
    id: `value-${id}`,
    'data-key': key,
    inputmode: 'decimal',
    autocomplete: 'off',
    'aria-describedby': `error-${id}`,
  });
  const error = el('span', { id: `error-${id}`, class: 'error', role: 'alert' });
  const button = el('button', { type: 'submit' }, 'Submit');
  const form = el(
    'form',
    { class: 'entry', 'data-action': 'submit-value' },
    el('label', { for: input.id, class: 'visually-hidden' }, `Value for ${m.code} ${m.title}, ${s.period} (${UNIT[m.unit] ?? m.unit})`),
    input,
    el('span', { class: 'unit', 'aria-hidden': 'true' }, m.unit === 'PERCENT' ? '%' : ''),
    button,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(button, () => submitValue(s, input, error));
  });
  const submitted = s.outstanding
    ? el('strong', { class: 'outstanding' }, 'Outstanding')
    : el(
        'span',
        {},
        el('strong', {}, formatValue(r.value, m.unit)),
        ' ',
        el('span', { class: `status ${r.status}` }, STATUS[r.status]),
        el('br'),
        el('span', { class: 'meta' }, `version ${r.version}, ${formatWhen(r.submittedAt)}${r.submittedBy ? ` by ${r.submittedBy}` : ''}`),
      );
  const commentary = el('button', { type: 'button', 'data-action': 'commentary' }, 'Commentary', el('span', { class: 'visually-hidden' }, ` on ${m.code}, ${s.period}`));
  commentary.addEventListener('click', () => onCommentary(s));
  return el(
    'tr',
    { 'data-measure': m.code, 'data-period': s.period, 'data-outstanding': String(s.outstanding), class: s.late ? 'late' : null },
    el('th', { scope: 'row' }, `${m.code} ${m.title}`, m.partner ? el('span', { class: 'meta' }, ` (led by ${m.partner.name})`) : null),
    el('td', {}, s.period),
    el('td', {}, s.dueOn ?? '–', s.late ? el('strong', { class: 'late-mark' }, ' Late') : null),
    el('td', { class: 'number' }, formatValue(r.previousValue, m.unit)),
    el('td', { class: 'number' }, formatValue(r.target, m.unit)),
    el('td', { class: 'submitted' }, submitted),
    el('td', {}, form),
    el('td', {}, commentary),
  );
}

/**
 * Submits one value, naming the version it replaces, so a value someone
 * else submitted meanwhile is a conflict shown here, not overwritten.
 */
async function submitValue(s, input, error) {
  fieldError(input, error, '');
  const text = input.value.trim().replaceAll(',', '').replace(/%$/, '');
  if (text === '' || !Number.isFinite(Number(text))) {
    fieldError(input, error, 'Enter the value as a number.');
    return;
  }
  try {
    const { submitResult } = await mutate(SUBMIT, {
      input: { measureId: s.measure.id, period: s.period, value: Number(text), expectedVersion: s.result.version ?? 0 },
    });
    input.value = '';
    notice(`${s.measure.code} ${s.period}: ${formatValue(submitResult.value, s.measure.unit)} submitted (version ${submitResult.version}).`);
    document.dispatchEvent(new CustomEvent('councilperf:changed'));
  } catch (e) {
    const message =
      e instanceof ApiError && e.code === 'CONFLICT'
        ? 'Someone else submitted this value meanwhile: the table now shows theirs. Enter yours again to replace it.'
        : e.message;
    fieldError(input, error, message);
    if (e instanceof ApiError && e.code === 'CONFLICT') document.dispatchEvent(new CustomEvent('councilperf:changed'));
  }
}

/** The submissions for a period, with who is asking. */
export async function loadDue(period) {
  return (await query(DUE, { period })).me;
}
