// Subscribes to Kent's results with the real graphql-ws client, as a
// browser dashboard would, and prints what happens as JSON lines:
// {"ready":true} once the server listens, then {"event":…} for the first
// result it hears, or {"closed":CODE} if the server closes the socket.
//   node live.mjs ws://127.0.0.1:8080/graphql/ws TOKEN
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node live.mjs WS_URL TOKEN');
  process.exit(2);
}
const say = (line) => console.log(JSON.stringify(line));
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { closed: (e) => e.code !== 1000 && say({ closed: e.code }) },
});
const fail = (e) => {
  if (!(e && typeof e.code === 'number')) say({ error: String(e && e.message ? e.message : JSON.stringify(e)) });
  client.dispose();
  process.exit(1);
};

client.subscribe(
  {
    query: 'subscription { resultChanged(authority: "kent") { measure { code } period value published } }',
  },
  {
    next: (event) => {
      say({ event });
      client.dispose();
      process.exit(0);
    },
    error: fail,
    complete: () => {},
  },
);
// The server reads a socket's messages in order: once this query is
// answered, the subscription above listens.
client.subscribe(
  { query: '{ __typename }' },
  { next: () => {}, error: fail, complete: () => say({ ready: true }) },
);
