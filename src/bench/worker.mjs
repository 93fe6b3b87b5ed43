// Piscina worker entry: registers tsx so the TypeScript job runner loads without a build step.
import { register } from 'tsx/esm/api';

register();
const { runJob } = await import('./jobs.ts');

export default function run(job) {
  return runJob(job);
}
