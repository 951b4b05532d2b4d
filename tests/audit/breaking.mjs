// The breaking-change check: the schema about to ship against the last
// released one. A breaking change (graphql-js's findBreakingChanges) fails
// unless CHANGELOG.md announces it: a list item (a line starting "- ")
// that names it, by the change's description as printed here or by its
// schema coordinate (`Type.field`, `Type`), and carries a deprecation date
// (YYYY-MM-DD). Dangerous changes are listed and pass.
//   node breaking.mjs RELEASED.graphql CURRENT.graphql CHANGELOG.md
import { readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';

const [released, current, changelog] = process.argv.slice(2);
if (!released || !current || !changelog) {
  console.error('usage: node breaking.mjs RELEASED.graphql CURRENT.graphql CHANGELOG.md');
  process.exit(2);
}
const load = (path) => buildSchema(readFileSync(path, 'utf8'));
const [before, after] = [load(released), load(current)];
const entries = readFileSync(changelog, 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('- ') && /\b\d{4}-\d{2}-\d{2}\b/.test(line));

// The coordinate a description starts with: "Query.plans was removed." names
// `Query.plans`; "Plan.code changed type from …" names `Plan.code`.
const coordinate = (description) => description.match(/^[A-Za-z_][\w.]*/)?.[0];
const announced = (change) => {
  const text = change.description.replace(/\.$/, '');
  const name = coordinate(change.description);
  return entries.some(
    (line) => line.includes(text) || (name && new RegExp(`\`${name.replace(/\./g, '\\.')}\``).test(line)),
  );
};

for (const change of findDangerousChanges(before, after)) {
  console.log(`dangerous (allowed): ${change.type}: ${change.description}`);
}
let unannounced = 0;
for (const change of findBreakingChanges(before, after)) {
  if (announced(change)) {
    console.log(`breaking, announced in ${changelog}: ${change.type}: ${change.description}`);
  } else {
    unannounced += 1;
    console.log(`BREAKING, not in ${changelog}: ${change.type}: ${change.description}`);
  }
}
if (unannounced) {
  console.log(
    `${unannounced} breaking change(s): keep the old field deprecated, or add a "- " entry to ${changelog} naming each (\`Type.field\`) with its deprecation date (YYYY-MM-DD)`,
  );
  process.exit(1);
}
console.log('no unannounced breaking change');
