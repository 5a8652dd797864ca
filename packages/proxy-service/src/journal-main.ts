/**
 * `stratum-proxy shares …` and `stratum-proxy report …`: read the share journal and exit. The bin
 * shim sends these two words here, so nothing of the proxy (config, logger, sockets) loads.
 */
import { runJournalCommand } from '@stratum-relay/share-journal';

void runJournalCommand(process.argv.slice(2), {
  write: (text) => process.stdout.write(text),
  error: (line) => process.stderr.write(`${line}\n`),
  now: Date.now,
}).then((code) => {
  // exitCode, not exit(): a large listing piped to another program is written out first.
  process.exitCode = code;
});
