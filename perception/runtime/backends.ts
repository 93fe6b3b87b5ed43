/** The tfjs backends a user may ask for; kept apart from tfjs.ts so naming them does not load tfjs. */
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'webgpu', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** A backend asked for by name that cannot start here; the message says why and what to install or set. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}
