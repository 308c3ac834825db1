#!/usr/bin/env node
// Runs when `node-gyp rebuild` fails at install time: rxtls still works, on the node:tls engine.
console.log(
  'rxtls: the native TLS engine could not be built (no compiler or Node headers); using the node:tls engine instead.',
);
