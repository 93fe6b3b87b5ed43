// Entry point of a WorkerVectorEnv worker. Plain JavaScript because a worker thread does not get
// tsx's module hooks, neither under `tsx` (its loader registers on the main thread only) nor under
// vitest: register tsx here, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./vectorWorker.ts');
