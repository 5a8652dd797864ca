#!/usr/bin/env node
'use strict';
// Before anything loads: without a listener, SIGUSR1 opens Node's inspector on 127.0.0.1:9229, a
// debugger any local user could attach to. main.js installs the listener that logs it.
process.on('SIGUSR1', () => {});
// `stratum-proxy shares|report …` read the share journal; anything else runs the proxy.
const command = process.argv[2];
require(command === 'shares' || command === 'report' ? '../dist/journal-main.js' : '../dist/main.js');
