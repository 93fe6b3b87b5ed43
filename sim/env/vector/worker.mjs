// Entry point of a WorkerVectorEnv worker. Plain JavaScript because a worker thread starts without
// the parent's module hooks when the parent runs under vitest: register tsx here, then load the
// TypeScript worker. Under `tsx` the hooks are inherited as well; registering again is harmless.
import { register } from 'tsx/esm/api';

register();
await import('./vectorWorker.ts');
