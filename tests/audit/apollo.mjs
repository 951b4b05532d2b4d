// README.md's Apollo Client example, run by tests/tests/e2e/apollo.rs (which
// checks the README shows the part between the markers as it is here).
//   node apollo.mjs HTTP_URL WS_URL TOKEN [resume]
// The test reads JSON lines from its stdout and, where the test has to
// act first, the script waits for a line on its stdin.
//
// First phase: reads Kent's dashboard and prints {"dashboard":CS01,
// "requests":1}, subscribes to Kent's results and prints {"ready":true};
// on the first event prints {"event":…}, then CS01 as the cached dashboard
// now answers it, {"cached":…,"requests":N}, N the HTTP requests made so
// far: the event needs none.
// Second phase (`resume`, needs `since` and `position`): subscribes,
// prints {"ready":true}; on the first event prints {"heard":…}, closes
// the subscription (and so the socket) and prints {"closed":true}; after
// a line on stdin resubscribes `since` the position heard and prints the
// next two events, {"replayed":…}: the one it missed, then a new one.

// --- README: begin ---
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from '@apollo/client/core/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { getMainDefinition } from '@apollo/client/utilities/index.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

// Node 20 has no WebSocket of its own (a browser has, and node 22): both
// graphql-ws and Apollo's link use this one.
globalThis.WebSocket ??= WebSocket;
const [httpUrl, wsUrl, token] = process.argv.slice(2);
const auth = token ? { authorization: `Bearer ${token}` } : {};
const ws = createClient({ url: wsUrl, connectionParams: auth });
const client = new ApolloClient({
  // No typePolicies or keyFields: every object names itself by its global `id`.
  cache: new InMemoryCache(),
  link: split(
    ({ query }) => getMainDefinition(query).operation === 'subscription',
    new GraphQLWsLink(ws),
    new HttpLink({ uri: httpUrl, headers: auth }),
  ),
});

// A dashboard: each measure's result for the period. A MeasureResult's
// id names its measure and the period asked for, so an event for the same
// measure and period lands on the object this query holds.
const DASHBOARD = gql`
  query KentDashboard($period: Period!) {
    authority(slug: "kent") {
      id
      name
      plans {
        id
        title
        measures {
          id
          code
          title
          result(period: $period) { id value target status direction published }
        }
      }
    }
  }
`;
const RESULTS = gql`
  subscription KentResults {
    resultChanged(authority: "kent") { id value target status direction published }
  }
`;
const period = '2023-24 Q1';
const cs01 = (data) =>
  data.authority.plans.flatMap((p) => p.measures).find((m) => m.code === 'CS01');
// --- README: end ---

import { createInterface } from 'node:readline';

const say = (line) => console.log(JSON.stringify(line));
const fail = (e) => {
  say({ error: String(e && e.message ? e.message : JSON.stringify(e)) });
  process.exit(1);
};

// The HttpLink looks fetch up on each request: so every one is counted.
let requests = 0;
const fetchOnce = globalThis.fetch;
globalThis.fetch = (...args) => {
  requests += 1;
  return fetchOnce(...args);
};

/** Waits for a line on stdin: the test has acted. */
async function told() {
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) return lines.close();
  fail('stdin closed');
}

// The server reads a socket's messages in order: once this query, sent
// after the subscriptions, is answered, they listen.
const listening = () =>
  new Promise((resolve, reject) =>
    ws.subscribe({ query: '{ __typename }' }, { next: () => {}, error: reject, complete: resolve }),
  );

// --- First phase: a live event merges into the cached dashboard ---------

async function cache() {
  const { data } = await client.query({ query: DASHBOARD, variables: { period }, fetchPolicy: 'cache-first' });
  say({ dashboard: cs01(data), requests });
  client.subscribe({ query: RESULTS }).subscribe({
    next: ({ data: event }) => {
      say({ event: event.resultChanged });
      const cached = client.readQuery({ query: DASHBOARD, variables: { period } });
      say({ cached: cs01(cached), requests });
      process.exit(0);
    },
    error: fail,
  });
  await listening();
  say({ ready: true });
}

// --- Second phase: resuming after a disconnection -----------------------

const SINCE = gql`
  subscription KentResultsSince($since: String) {
    resultChanged(authority: "kent", since: $since) { id value status position }
  }
`;

/**
 * Subscribes to Kent's results since a position (none: from now), hands
 * each event to `on` until it answers false, and then unsubscribes.
 */
function follow(since, on) {
  return new Promise((resolve, reject) => {
    const events = client.subscribe({ query: SINCE, variables: { since } }).subscribe({
      next: ({ data }) => {
        if (!on(data.resultChanged)) {
          events.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
    if (since === null) listening().then(() => say({ ready: true }), reject);
  });
}

async function resume() {
  let position;
  const closed = new Promise((resolve) => ws.on('closed', resolve));
  await follow(null, (event) => {
    say({ heard: event });
    position = event.position;
    return false;
  });
  // That was the only subscription: the lazy client closes its socket.
  await closed;
  say({ closed: true });
  await told();
  let replayed = 0;
  await follow(position, (event) => {
    say({ replayed: event });
    replayed += 1;
    return replayed < 2;
  });
  process.exit(0);
}

(process.argv[5] === 'resume' ? resume() : cache()).catch(fail);
