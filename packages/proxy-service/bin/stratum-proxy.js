#!/usr/bin/env node
'use strict';
// Before anything loads: without a listener, SIGUSR1 opens Node's inspector on 127.0.0.1:9229, a
// debugger any local user could attach to. main.js installs the listener that logs it.
process.on('SIGUSR1', () => {});
// Subcommands that do not run the relay load only what they need (src/cli/commands.ts lists
// them for --help; a test keeps both lists equal): `shares|report …` read the share journal,
// `status|init|check-config|--version` are the operator's tools. Anything else (`run`, plain
// options) runs the proxy.
const JOURNAL_COMMANDS = ['shares', 'report'];
const TOOL_COMMANDS = ['status', 'init', 'check-config', '--version', '-V'];
const command = process.argv[2];
if (JOURNAL_COMMANDS.includes(command)) require('../dist/journal-main.js');
else if (TOOL_COMMANDS.includes(command)) require('../dist/cli/command-main.js');
else require('../dist/main.js');
