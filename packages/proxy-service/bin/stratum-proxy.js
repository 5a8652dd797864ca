#!/usr/bin/env node
'use strict';
// Before anything loads: without a listener, SIGUSR1 opens Node's inspector on 127.0.0.1:9229, a
// debugger any local user could attach to. main.js installs the listener that logs it.
process.on('SIGUSR1', () => {});
require('../dist/main.js');
