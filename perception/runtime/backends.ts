/** The tfjs backends a user may ask for; kept apart from tfjs.ts so naming them does not load tfjs. */
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
