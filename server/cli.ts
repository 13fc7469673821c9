/**
 * Entry point of the `dcp` command line (`npm run dcp -- <command>`, bundled to dist/cli.js as the `dcp` bin).
 * Only wiring: the commander program is server/cli/main.ts, one file per subcommand beside it.
 */
import { runCli } from './cli/main';
import { processIO } from './cli/output';

void runCli(process.argv.slice(2), processIO()).then((code) => {
  // exitCode rather than exit(): lets pending stdout writes to a pipe finish.
  process.exitCode = code;
});
