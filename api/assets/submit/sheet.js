// The template round trip: download the plan's template with the token,
// fill it in, check it (a dry run that writes nothing and names every bad
// row by its sheet row and column), then apply the very same file.

import { download, upload } from './api.js';
import { $, busy, el, formatValue, notice } from './dom.js';

const IMPORT = `mutation Import($plan: ID!, $period: Period, $file: Upload!, $dryRun: Boolean!) {
  importResults(planId: $plan, period: $period, file: $file, dryRun: $dryRun) {
    applied rows results targets
    errors { row column code message }
    preview { measure { code title unit } period value status }
  }
}`;

const STATUS = { BLUE: 'Blue (exceeded)', GREEN: 'Green', AMBER: 'Amber', RED: 'Red', NO_TARGET: 'No target', NO_DATA: 'No data' };

/** The file that passed its check, so "apply" sends exactly it. */
let checked = null;

export function wireSheet(view) {
  const apply = document.querySelector('[data-action="apply"]');
  const file = $('sheet-file');
  file.addEventListener('change', () => {
    checked = null;
    apply.disabled = true;
    $('sheet-result').replaceChildren();
  });
  for (const ext of ['xlsx', 'csv']) {
    const button = document.querySelector(`[data-action="template-${ext}"]`);
    button.addEventListener('click', () =>
      busy(button, async () => {
        try {
          await download($('sheet-plan').value, view.period, ext);
          notice(`The ${ext.toUpperCase()} template for ${view.period} is downloaded.`);
        } catch (e) {
          show(el('p', { class: 'error', role: 'alert' }, e.message));
        }
      }),
    );
  }
  const check = document.querySelector('[data-action="check"]');
  check.addEventListener('click', () =>
    busy(check, async () => {
      const chosen = file.files[0];
      if (!chosen) return show(el('p', { class: 'error', role: 'alert' }, 'Choose the filled template first.'));
      const report = await send(view, chosen, true);
      if (!report) return undefined;
      checked = report.errors.length ? null : chosen;
      apply.disabled = !checked;
      return undefined;
    }),
  );
  apply.addEventListener('click', () =>
    busy(apply, async () => {
      if (!checked) return;
      const report = await send(view, checked, false);
      if (report?.applied) {
        checked = null;
        apply.disabled = true;
        file.value = '';
        document.dispatchEvent(new CustomEvent('councilperf:changed'));
      }
    }),
  );
}

function show(...nodes) {
  $('sheet-result').replaceChildren(...nodes);
  $('sheet-result').focus();
}

async function send(view, file, dryRun) {
  let report;
  try {
    const data = await upload(IMPORT, { plan: $('sheet-plan').value, period: view.period, dryRun }, file);
    report = data.importResults;
  } catch (e) {
    show(el('p', { class: 'error', role: 'alert' }, `The sheet was not read: ${e.message}`));
    return null;
  }
  show(...describe(report, dryRun));
  return report;
}

function describe(report, dryRun) {
  const out = [];
  if (report.errors.length) {
    out.push(
      el('p', { class: 'error', role: 'alert', id: 'sheet-errors-summary' },
        `${report.errors.length} ${report.errors.length === 1 ? 'row needs' : 'rows need'} fixing; nothing was written. Fix ${report.errors.length === 1 ? 'it' : 'them'} in the sheet and check it again.`),
      el(
        'table',
        { 'aria-labelledby': 'sheet-errors-summary', 'data-sheet': 'errors' },
        el('thead', {}, el('tr', {}, ...['Row', 'Column', 'Problem'].map((h) => el('th', { scope: 'col' }, h)))),
        el(
          'tbody',
          {},
          ...report.errors.map((e) =>
            el('tr', { 'data-row': String(e.row), 'data-column': e.column ?? '' },
              el('td', { class: 'number' }, String(e.row)), el('td', {}, e.column ?? '–'), el('td', {}, e.message)),
          ),
        ),
      ),
    );
    return out;
  }
  out.push(
    el('p', { role: 'status', id: 'sheet-summary' },
      dryRun
        ? `The sheet is good: ${report.results} ${report.results === 1 ? 'result' : 'results'} from ${report.rows} rows would be written. Apply it to write them.`
        : `Applied: ${report.results} ${report.results === 1 ? 'result' : 'results'} written.`),
  );
  if (report.preview.length) {
    out.push(
      el(
        'table',
        { 'aria-labelledby': 'sheet-summary', 'data-sheet': 'preview' },
        el('thead', {}, el('tr', {}, ...['Measure', 'Period', 'Value', 'Status'].map((h) => el('th', { scope: 'col' }, h)))),
        el(
          'tbody',
          {},
          ...report.preview.map((r) =>
            el('tr', { 'data-preview': r.measure.code },
              el('td', {}, `${r.measure.code} ${r.measure.title}`), el('td', {}, r.period),
              el('td', { class: 'number' }, formatValue(r.value, r.measure.unit)),
              el('td', {}, el('span', { class: `status ${r.status}` }, STATUS[r.status]))),
          ),
        ),
      ),
    );
  }
  return out;
}
