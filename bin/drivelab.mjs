#!/usr/bin/env node
// drivelab is written in TypeScript and runs through tsx, so `npm install` is the only setup step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
