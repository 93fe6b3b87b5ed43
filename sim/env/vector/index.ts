/** Vector envs: many copies of one env stepped together, with Gymnasium's vector API (see `types.ts`). */
export * from './types.ts';
export { SyncVectorEnv, type SyncVectorEnvOptions, type VectorBuffers } from './SyncVectorEnv.ts';
export { WorkerVectorEnv, type WorkerVectorEnvOptions } from './WorkerVectorEnv.ts';
