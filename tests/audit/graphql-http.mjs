// Runs the graphql-http server audits against a running councilperf:
// fails on any MUST, lists every SHOULD that does not hold.
//   node graphql-http.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http.mjs URL');
  process.exit(2);
}
let passed = 0;
let failed = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed += 1;
  } else if (result.status === 'error' && audit.name.startsWith('MUST')) {
    failed += 1;
    console.log(`FAIL ${audit.name}: ${result.reason}`);
  } else {
    passed += 1;
    console.log(`${result.status.toUpperCase()} ${audit.name}: ${result.reason}`);
  }
}
console.log(`graphql-http: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
