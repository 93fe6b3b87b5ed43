/** Where the command line writes: the process's streams, or a test's buffers. */

export interface CliIo {
  /** Writes text to standard output */
  stdout(text: string): void;
  /** Writes text to standard error */
  stderr(text: string): void;
  /** A terminal to draw progress bars on, or undefined for none */
  progress?: NodeJS.WriteStream;
}

/** The process's own streams; progress bars only when stderr is a terminal. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    progress: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** Writers that keep what they are given, for tests and for callers that want the text. */
export function bufferIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}
