export * from './schema.ts';
export * from './parse.ts';
export * from './library.ts';
export * from './suite.ts';
export * from './suites.ts';
