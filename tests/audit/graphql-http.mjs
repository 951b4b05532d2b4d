// Runs the graphql-http server audits against a running councilperf: fails
// on any MUST, and on any SHOULD or MAY that does not hold unless the
// accepted list (a JSON array of { "id", "name", "reason" }) names it with a
// reason. An accepted item that holds again fails too, so the list stays true.
//   node graphql-http.mjs URL [ACCEPTED.json]
import { readFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';

const [url, acceptedFile] = process.argv.slice(2);
if (!url) {
  console.error('usage: node graphql-http.mjs URL [ACCEPTED.json]');
  process.exit(2);
}
const accepted = new Map(
  (acceptedFile ? JSON.parse(readFileSync(acceptedFile, 'utf8')) : []).map((a) => {
    if (!a.id || !a.reason?.trim()) {
      console.error(`${acceptedFile}: every entry needs an id and a reason: ${JSON.stringify(a)}`);
      process.exit(2);
    }
    return [a.id, a];
  }),
);
let passed = 0;
const failures = [];
const seen = new Set();
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  const ok = result.status === 'ok';
  if (accepted.has(audit.id)) {
    seen.add(audit.id);
    if (audit.name.startsWith('MUST')) {
      failures.push(`${audit.id} ${audit.name}: a MUST cannot be accepted`);
    } else if (ok) {
      failures.push(`${audit.id} ${audit.name} now holds: remove it from ${acceptedFile}`);
    } else {
      passed += 1;
      console.log(`ACCEPTED ${audit.id} ${audit.name}: ${result.reason} (${accepted.get(audit.id).reason})`);
    }
  } else if (ok) {
    passed += 1;
  } else {
    failures.push(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
  }
}
for (const id of accepted.keys()) {
  if (!seen.has(id)) failures.push(`${acceptedFile} accepts ${id}, which no audit has`);
}
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`graphql-http: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
