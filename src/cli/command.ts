/**
 * What every `rxtls` subcommand shares: the Command shape the dispatcher in main.ts runs, the
 * usage error that becomes exit code 2, and option parsing on `node:util`'s parseArgs (so that
 * `--opt value`, `--opt=value`, `--` and unknown-option errors behave as in other Node tools).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes of the `rxtls` command: 0 ok, 1 a TLS or verification failure, 2 bad usage. */
export const EXIT_OK = 0;
/** A TLS, verification, file or input failure; the message on stderr names the reason. */
export const EXIT_FAILURE = 1;
/** Bad usage: an unknown command or option, a missing or malformed argument. */
export const EXIT_USAGE = 2;

/** Bad command-line usage; main.ts prints its one-line message and exits {@link EXIT_USAGE}. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'ERR_RXTLS_USAGE';
  /** The command line to point at for help, such as `rxtls cert create`. */
  readonly command: string;
  constructor(command: string, message: string) {
    super(message);
    this.command = command;
  }
}

/** A subcommand of `rxtls`. */
export interface Command {
  /** The word after `rxtls`. */
  name: string;
  /** One line for `rxtls --help`. */
  summary: string;
  /** Runs with the arguments after the command word; rejects with UsageError for bad usage. */
  run(args: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed values of an options table: strings, booleans or string lists. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses `args` against `options` (plus `--help`/`-h`), turning parseArgs' errors into
 * UsageError. Returns undefined when help was asked for: the caller prints its help text.
 */
export function parseCommandArgs(
  command: string,
  args: string[],
  options: Options,
  positionals: { min: number; max: number; name?: string } = { min: 0, max: 0 },
): { values: OptionValues; positionals: string[] } | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs' messages end with advice about '--' that only applies to positionals.
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(command, message.charAt(0).toLowerCase() + message.slice(1));
  }
  if (parsed.values.help) return undefined;
  const count = parsed.positionals.length;
  if (count < positionals.min) {
    throw new UsageError(command, `missing ${positionals.name ?? 'argument'}`);
  }
  if (count > positionals.max) {
    throw new UsageError(command, `unexpected argument '${parsed.positionals[positionals.max]}'`);
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals };
}

/** Reads a positive integer option; UsageError otherwise. */
export function positiveInteger(command: string, name: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number <= 0) {
    throw new UsageError(command, `--${name} must be a positive integer, got '${value}'`);
  }
  return number;
}

/** Parses `--alpn h2,http/1.1`. */
export function alpnList(command: string, value: string): string[] {
  const protocols = value.split(',').map((protocol) => protocol.trim());
  if (protocols.some((protocol) => protocol === '')) {
    throw new UsageError(command, `--alpn must be a comma-separated list, got '${value}'`);
  }
  return protocols;
}
