// Commentary and action plans on one measure's period. An edit names the
// version it replaces: when someone else saved meanwhile, the API answers
// CONFLICT and the page says so, keeps the words being written and shows
// theirs, rather than silently losing one of the two.

import { ApiError, mutate, query } from './api.js';
import { $, busy, el, fieldError, formatWhen, notice } from './dom.js';

const READ = `query Commentary($measure: ID!, $period: Period!) {
  measure(id: $measure) {
    id code title
    result(period: $period) {
      commentary { id body kind version author createdAt history { version body author editedAt } }
    }
    actionPlans { id title open actions { description owner dueOn status overdue } }
  }
}`;

const ADD = `mutation Add($input: AddCommentaryInput!) { addCommentary(input: $input) { id version } }`;
const EDIT = `mutation Edit($input: EditCommentaryInput!) { editCommentary(input: $input) { id version } }`;
const PLAN = `mutation Plan($input: CreateActionPlanInput!) { createActionPlan(input: $input) { id } }`;

/** The measure and period shown, and the kind of commentary this person writes. */
const shown = { measure: null, period: null, kind: 'SERVICE' };

export function wireCommentary() {
  const form = $('commentary-form');
  const body = $('commentary-body');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(form.querySelector('button'), async () => {
      fieldError(body, $('commentary-error'), '');
      try {
        await mutate(ADD, { input: { measureId: shown.measure.id, period: shown.period, kind: $('commentary-kind').value, body: body.value } });
        body.value = '';
        notice(`Commentary added on ${shown.measure.code}, ${shown.period}.`);
        await refresh();
      } catch (e) {
        fieldError(body, $('commentary-error'), e.message);
      }
    });
  });
  const planForm = $('action-plan-form');
  planForm.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(planForm.querySelector('button'), async () => {
      $('action-plan-error').textContent = '';
      const description = $('action-description').value.trim();
      const actions = description
        ? [{ description, owner: $('action-owner').value, dueOn: $('action-due').value || null }]
        : [];
      try {
        await mutate(PLAN, { input: { measureId: shown.measure.id, title: $('plan-title').value, actions } });
        for (const id of ['plan-title', 'action-description', 'action-owner', 'action-due']) $(id).value = '';
        notice(`Action plan added to ${shown.measure.code}.`);
        await refresh();
      } catch (e) {
        $('action-plan-error').textContent = e.message;
      }
    });
  });
}

/** Opens the panel on one row: `kind` is the commentary this person writes. */
export async function openCommentary(submission, kind) {
  Object.assign(shown, { measure: submission.measure, period: submission.period, kind });
  $('commentary-measure').textContent = `${submission.measure.code} ${submission.measure.title}, ${submission.period}`;
  $('commentary-kind').value = kind;
  $('commentary-section').hidden = false;
  await refresh();
  $('commentary-heading').focus();
}

/** Reads the panel's measure again (after a write, or a live event). */
export async function refresh() {
  if (!shown.measure) return;
  const { measure } = await query(READ, { measure: shown.measure.id, period: shown.period });
  if (!measure) return;
  // An editor open with words in it stays as it is, with its version.
  const open = new Map(
    [...document.querySelectorAll('#commentary-list article[data-editing]')].map((a) => [
      a.dataset.commentary,
      { text: a.querySelector('textarea').value, version: Number(a.dataset.version), error: a.querySelector('.error').textContent },
    ]),
  );
  // Re-rendering must not take the keyboard's place away: a live event can
  // land between a person reaching a control and pressing it.
  const focused = document.activeElement;
  const place = focused && $('commentary-list').contains(focused)
    ? { commentary: focused.closest('article')?.dataset.commentary, action: focused.dataset.action, tag: focused.tagName }
    : null;
  const items = measure.result.commentary.map((c) => article(c, open.get(c.id)));
  $('commentary-list').replaceChildren(...(items.length ? items : [el('p', {}, 'No commentary yet.')]));
  if (place?.commentary) {
    const again = document.querySelector(`#commentary-list article[data-commentary="${CSS.escape(place.commentary)}"]`);
    const control = place.action ? again?.querySelector(`[data-action="${place.action}"]`) : again?.querySelector(place.tag);
    control?.focus();
  }
  const plans = measure.actionPlans.map((p) =>
    el(
      'div',
      { class: 'action-plan' },
      el('h4', {}, `${p.title}${p.open ? '' : ' (closed)'}`),
      el(
        'ul',
        {},
        ...p.actions.map((a) =>
          el(
            'li',
            {},
            `${a.description} (${a.owner}${a.dueOn ? `, due ${a.dueOn}` : ''}; ${a.status.replaceAll('_', ' ').toLowerCase()})`,
            a.overdue ? el('strong', { class: 'late-mark' }, ' Overdue') : null,
          ),
        ),
      ),
    ),
  );
  $('action-plans').replaceChildren(...(plans.length ? plans : [el('p', {}, 'No action plan yet.')]));
}

function article(c, editing) {
  const node = el(
    'article',
    { class: 'commentary', 'data-commentary': c.id, 'data-version': String(c.version) },
    el('p', { class: 'body' }, c.body),
    el('p', { class: 'meta' }, `${c.author}, ${c.kind.toLowerCase()} commentary, version ${c.version}, ${formatWhen(c.createdAt)}`),
  );
  if (c.history.length) {
    node.append(
      el('details', {}, el('summary', {}, `Earlier versions (${c.history.length})`),
        el('ol', { reversed: true }, ...c.history.map((h) =>
          el('li', {}, el('p', { class: 'body' }, h.body), el('p', { class: 'meta' }, `${h.author}, version ${h.version}, replaced ${formatWhen(h.editedAt)}`))))),
    );
  }
  const edit = el('button', { type: 'button', 'data-action': 'edit-commentary' }, 'Edit', el('span', { class: 'visually-hidden' }, ` commentary by ${c.author}`));
  edit.addEventListener('click', () => editor(node, c, { text: c.body, version: c.version, error: '' }));
  node.append(edit);
  if (editing) editor(node, c, editing);
  return node;
}

/** An editor in place, replacing the version it was opened on. */
function editor(node, c, { text, version, error }) {
  node.querySelector('form')?.remove();
  node.dataset.editing = 'true';
  node.dataset.version = String(version);
  const id = `edit-${c.id}`;
  const area = el('textarea', { id, rows: '4', 'aria-describedby': `${id}-error` });
  area.value = text;
  const problem = el('p', { id: `${id}-error`, class: 'error', role: 'alert' }, error);
  const save = el('button', { type: 'submit' }, 'Save');
  const cancel = el('button', { type: 'button' }, 'Cancel');
  const form = el('form', { class: 'edit' }, el('label', { for: id }, `Edit the commentary (version ${version})`), area, problem, save, ' ', cancel);
  cancel.addEventListener('click', () => {
    delete node.dataset.editing;
    form.remove();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, async () => {
      try {
        await mutate(EDIT, { input: { id: c.id, body: area.value, expectedVersion: Number(node.dataset.version) } });
        delete node.dataset.editing;
        notice(`Commentary on ${shown.measure.code} saved.`);
        await refresh();
      } catch (e) {
        if (e instanceof ApiError && e.code === 'CONFLICT') {
          // Theirs is shown above; saving again replaces it knowingly.
          const { measure } = await query(READ, { measure: shown.measure.id, period: shown.period });
          const now = measure?.result.commentary.find((x) => x.id === c.id);
          const words = area.value;
          const message = `Conflict: someone else saved this commentary meanwhile (now version ${now?.version ?? '?'}). Their text is shown above; yours is kept here. Save again to replace theirs.`;
          await refresh();
          const fresh = document.querySelector(`#commentary-list article[data-commentary="${CSS.escape(c.id)}"]`);
          if (fresh && now) editor(fresh, now, { text: words, version: now.version, error: message });
          fresh?.querySelector('textarea')?.focus();
        } else {
          fieldError(area, problem, e.message);
        }
      }
    });
  });
  node.append(form);
  area.focus();
}
