/**
 * The bundle's undici (app/lazy/undici.js, see lib/js.mjs): what zpkg uses of
 * it — `Agent`, `EnvHttpProxyAgent` (remotes behind a proxy) and `request`
 * (src/repo/http-backend.ts) — built from undici's
 * own files, without the rest of its index (fetch, WebSocket, EventSource,
 * mocks, cache stores, which a package manager's requests never reach): half
 * the code to read and compile when a command first talks HTTP.
 * `makeDispatcher` is undici's own (index.js, MIT licence), unchanged in
 * behaviour.
 */
'use strict';
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const Agent = require('undici/lib/dispatcher/agent');
const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent');
const api = require('undici/lib/api');
const errors = require('undici/lib/core/errors');
const util = require('undici/lib/core/util');
const { getGlobalDispatcher, setGlobalDispatcher } = require('undici/lib/global');

Object.assign(Dispatcher.prototype, api);

function makeDispatcher(fn) {
  return (url, opts, handler) => {
    if (typeof opts === 'function') {
      handler = opts;
      opts = null;
    }
    if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) throw new errors.InvalidArgumentError('invalid url');
    if (opts != null && typeof opts !== 'object') throw new errors.InvalidArgumentError('invalid opts');
    if (opts && opts.path != null) {
      if (typeof opts.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path');
      const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
      url = new URL(util.parseOrigin(url).origin + path);
    } else {
      if (!opts) opts = typeof url === 'object' ? url : {};
      url = util.parseURL(url);
    }
    const { agent, dispatcher = getGlobalDispatcher() } = opts;
    if (agent) throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
    return fn.call(dispatcher, { ...opts, origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname, method: opts.method || (opts.body ? 'PUT' : 'GET') }, handler);
  };
}

module.exports = { Agent, EnvHttpProxyAgent, Dispatcher, errors, request: makeDispatcher(api.request), getGlobalDispatcher, setGlobalDispatcher };
