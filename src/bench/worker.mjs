// Piscina worker entry: registers tsx so the TypeScript job runner loads without a build step.
import { register } from 'tsx/esm/api';

register();
const { runJob } = await import('./jobs.ts');

// A detector's broken contract loses its class on the way back to the main thread: say so in the result.
export default async function run(job) {
  try {
    return await runJob(job);
  } catch (err) {
    if (err?.name === 'DetectorError') return { detectorError: err.message };
    throw err;
  }
}
