/** A bad algorithm argument, checkpoint or saved-policy file: the caller's input, not a fault of drivelab. */
export class AgentInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentInputError';
  }
}
