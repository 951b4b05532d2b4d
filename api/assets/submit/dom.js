// Small DOM helpers shared by the page's modules. Text always goes in as
// text (never innerHTML), so nothing a council or a person typed can
// become markup.

export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const numberFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

export function formatValue(value, unit) {
  if (value === null || value === undefined) return '–';
  const n = numberFormat.format(value);
  if (unit === 'PERCENT') return `${n}%`;
  if (unit === 'CURRENCY') return `£${n}`;
  if (unit === 'DAYS') return `${n} days`;
  return n;
}

export function formatWhen(iso) {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

/** A message the page announces politely. */
export function notice(text) {
  $('notice').textContent = text;
}

/** A problem the page announces at once. */
export function problem(text) {
  $('problem').textContent = text;
  $('problem').hidden = !text;
}

/** Shows a field's error beside it, and clears it with an empty one. */
export function fieldError(input, errorNode, text) {
  errorNode.textContent = text;
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** The reporting quarter before today's, the one usually being filled in. */
export function lastQuarter(today = new Date()) {
  const month = today.getUTCMonth() + 1;
  let year = month >= 4 ? today.getUTCFullYear() : today.getUTCFullYear() - 1;
  let quarter = Math.floor(((month + 8) % 12) / 3) + 1;
  quarter -= 1;
  if (quarter === 0) {
    quarter = 4;
    year -= 1;
  }
  return `${year}-${String((year + 1) % 100).padStart(2, '0')} Q${quarter}`;
}

/** Disables a button while its action runs, so a double click sends once. */
export async function busy(button, action) {
  if (button.dataset.busy) return undefined;
  button.dataset.busy = 'true';
  button.setAttribute('aria-disabled', 'true');
  try {
    return await action();
  } finally {
    delete button.dataset.busy;
    button.removeAttribute('aria-disabled');
  }
}
