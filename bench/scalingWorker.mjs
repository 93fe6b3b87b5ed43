// A worker that steps one env in a plain loop and reports its own steps/s: the parallel ceiling.
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { envLoop } = await import('./scaling.ts');
parentPort.postMessage(await envLoop(workerData.steps, workerData.warmup));
