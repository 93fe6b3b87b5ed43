/** Runs the `drivelab` command line in this process and returns what it wrote and its exit code. */
import { runCli } from '../../src/cli.ts';
import { bufferIo } from '../../src/io.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function drivelab(...args: string[]): Promise<CliResult> {
  const io = bufferIo();
  const code = await runCli(args, io);
  return { code, stdout: io.out, stderr: io.err };
}

/** A stack frame such as `at run (file.ts:12:5)`; user errors must never print one. */
export const STACK_FRAME = /\s+at .+:\d+:\d+/;
