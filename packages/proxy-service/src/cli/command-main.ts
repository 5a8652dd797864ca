/**
 * `stratum-proxy status|init|check-config|--version`: the bin shim sends these here, so nothing
 * of the relay (logger, sockets, metrics) loads for them.
 */
import { runProxyCommand } from './run-command';

const [command = '', ...argv] = process.argv.slice(2);
void runProxyCommand(command, argv, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
}).then((code) => {
  // exitCode, not exit(): output piped to another program is written out first.
  process.exitCode = code;
});
