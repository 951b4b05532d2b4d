// Talking to this server as the signed-in person: GraphQL (JSON and the
// multipart upload), the template download and the live socket. Every
// write carries an Idempotency-Key, kept across its retries, so a double
// click or a lost answer applies once (README "Safe retries").

import { currentToken, expired } from './auth.js';

/** A GraphQL error with its code and field, as the API sent them. */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code;
    this.field = errors[0]?.extensions?.field;
  }
}

async function headers(extra = {}) {
  const token = await currentToken();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

async function answer(response) {
  if (response.status === 401) expired();
  const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
  if (body.errors?.length) throw new ApiError(body.errors);
  return body.data;
}

/** A query as the signed-in person. */
export async function query(text, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: await headers({ 'content-type': 'application/json', accept: 'application/graphql-response+json' }),
    body: JSON.stringify({ query: text, variables }),
  });
  return answer(response);
}

/**
 * Sends a write with a fresh Idempotency-Key; a request that never got
 * an answer (the network failed) is sent once more with the same key, so
 * it applies at most once. `body` makes the request body each time.
 */
async function write(body, extraHeaders) {
  const key = crypto.randomUUID();
  let lastError;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: await headers({ ...extraHeaders, 'idempotency-key': key }),
        body: body(),
      });
      return await answer(response);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 800));
    }
  }
  throw lastError;
}

/** A mutation, applied once however often it is retried. */
export function mutate(text, variables = {}) {
  return write(() => JSON.stringify({ query: text, variables }), {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
  });
}

/** A mutation carrying one file as `$file` (the GraphQL multipart request). */
export function upload(text, variables, file) {
  return write(() => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: text, variables: { ...variables, file: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', file, file.name);
    return form;
  }, {});
}

/**
 * Downloads a plan's template with the token (a link cannot carry it) and
 * saves it through a temporary object URL.
 */
export async function download(planId, period, extension) {
  const path = `/plans/${encodeURIComponent(planId)}/template.${extension}?period=${encodeURIComponent(period)}`;
  const response = await fetch(path, { headers: await headers() });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    throw new Error(body?.errors?.[0]?.message ?? `the template could not be had (HTTP ${response.status})`);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), {
    href: url,
    download: `template-${period.replace(/\s+/g, '-')}.${extension}`,
  });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Subscribes over graphql-transport-ws as the signed-in person; `onEvent`
 * is called for every event, `onState` with 'Live' or 'Not live'.
 * Answers a function that closes the socket.
 */
export function live(subscriptions, onEvent, onState) {
  const url = new URL('/graphql/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, 'graphql-transport-ws');
  const send = (message) => ws.send(JSON.stringify(message));
  ws.onopen = async () => {
    const token = await currentToken();
    send({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} });
  };
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'connection_ack') {
      subscriptions.forEach((payload, i) => send({ id: String(i), type: 'subscribe', payload }));
      onState('Live');
    } else if (message.type === 'ping') {
      send({ type: 'pong' });
    } else if (message.type === 'next') {
      onEvent(message.payload);
    } else if (message.type === 'error') {
      onState('Not live');
    }
  };
  ws.onclose = () => onState('Not live');
  return () => ws.close();
}
