/** drivelab's version, from package.json, for reports and `--version`. */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
