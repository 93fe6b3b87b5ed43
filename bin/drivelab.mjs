#!/usr/bin/env node
// drivelab is written in TypeScript and runs through tsx, so `npm install` is the only setup step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
// A detector plug-in may leave a timer behind (a detect() given up on after its timeout): exit
// anyway once the command is done. The timer does not itself keep the process alive.
setTimeout(() => process.exit(), 1000).unref();
