#!/usr/bin/env node
// drivelab is written in TypeScript and runs through tsx, so `npm install` is the only setup step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
