/** Errors a user caused, reported as one line each and exit code 2, never with a stack trace. */
import { ScenarioError } from '../scenarios/parse.ts';
import { AgentInputError } from '../agents/common/errors.ts';
import { TrainingDivergedError } from '../agents/common/TrainRun.ts';
import { BackendUnavailableError } from '../perception/runtime/backends.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The queue a run depends on went away; what was finished is kept, and --resume continues */
export class QueueGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueGoneError';
  }
}

/** Lines to print for an error, and the exit code. Unexpected errors keep their message but lose the stack. */
export function describeError(err: unknown): { lines: string[]; code: number } {
  if (err instanceof ScenarioError) return { lines: err.problems, code: 2 };
  if (err instanceof UsageError || err instanceof AgentInputError || err instanceof BackendUnavailableError) return { lines: [err.message], code: 2 };
  // Diverged training is a fact about the run's settings, said plainly; the checkpoint is kept.
  if (err instanceof TrainingDivergedError || err instanceof QueueGoneError) return { lines: [err.message], code: 1 };
  const message = err instanceof Error ? err.message : String(err);
  return { lines: [`internal error: ${message} (set DRIVELAB_DEBUG=1 for the stack)`], code: 1 };
}
