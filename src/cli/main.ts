/**
 * The `rxtls` command: dispatches `rxtls <command> ...` to its Command, prints help, and maps
 * outcomes to exit codes (0 ok, 1 failure, 2 bad usage) with a one-line message on stderr.
 * Importing this module runs the command line of the process (bin/rxtls.js does just that).
 */
import { readFileSync } from 'node:fs';
import { certCommand } from './cert-command.js';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './command.js';
import { connectCommand } from './connect-command.js';
import { serveCommand } from './serve-command.js';

/** Every command, in the order `rxtls --help` lists them. */
const COMMANDS: readonly Command[] = [serveCommand, connectCommand, certCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `usage: rxtls <command> [options]

${lines.join('\n')}

Run 'rxtls <command> --help' for a command's options. Exit codes: 0 ok, 1 failure, 2 bad usage.
`;
}

function version(): string {
  // dist/src/cli/main.js -> the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return `rxtls ${pkg.version}\n`;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === '--help' || name === '-h') {
      process.stdout.write(help());
      return EXIT_OK;
    }
    if (name === '--version') {
      process.stdout.write(version());
      return EXIT_OK;
    }
    if (name === undefined) throw new UsageError('rxtls', 'missing command');
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new UsageError('rxtls', `unknown command '${name}'`);
    await command.run(args);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.command}: ${error.message} (see '${error.command} --help')\n`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rxtls: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv.slice(2));
