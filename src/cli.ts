/** The `drivelab` command line. Bad input gets one line per problem on stderr and exit code 2. */
import { Command, CommanderError } from 'commander';
import { describeError } from './errors.ts';
import { runCommand } from './commands/run.ts';
import { listCommand, schemaCommand, validateCommand } from './commands/scenarios.ts';
import { benchCommand, compareCommand } from './commands/bench.ts';
import { captureCommand } from './commands/capture.ts';
import { VERSION } from './version.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

function buildProgram(): Command {
  const program = new Command('drivelab')
    .description('Autonomous-driving perception and reinforcement learning: scenarios, agents and benchmarks.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0].replace(/^error: /, 'drivelab: ') + '\n') });

  program
    .command('run')
    .description('drive one episode headless and print a summary')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .json/.yaml scenario file', 'highway')
    .option('-a, --agent <name|dir>', 'expert, random, or a saved policy directory', 'expert')
    .option('--seed <n>', 'episode seed', '0')
    .option('--set <path=value>', 'override a scenario field, e.g. --set traffic.vehicles=5 (repeatable)', collect, [])
    .option('--json', 'print the summary as one JSON object')
    .option('--render <dir>', 'save chase-camera PNGs of the episode into a directory')
    .option('--render-every <k>', 'save every k-th step with --render', '1')
    .action(runCommand);

  const bench = program
    .command('bench')
    .description('run a benchmark suite and write a report (default: the smoke suite with the expert)')
    .option('--suite <id|file>', 'smoke, standard, or a .json/.yaml suite file', 'smoke')
    .option('-a, --agent <name|dir>', 'expert, random, or a saved policy directory', 'expert')
    .option('--detector <name>', 'what the agent perceives with: ground-truth', 'ground-truth')
    .option('--episodes <n>', 'episodes per scenario (default: the suite\'s)')
    .option('--workers <k>', 'worker threads (default: the number of cores)')
    .option('--out <dir>', 'result directory (default: results/<suite>-<agent>-<time>)')
    .option('--record', 'save every episode for replay in the viewer')
    .option('--resume', 'continue an interrupted run in --out')
    .option('--json', 'print the aggregates as JSON')
    .enablePositionalOptions()
    .action(benchCommand);
  bench
    .command('compare')
    .description('per-metric differences between two result directories, with confidence intervals')
    .argument('<a>', 'baseline result directory')
    .argument('<b>', 'result directory to compare with it')
    .option('--json', 'as JSON')
    .action(compareCommand);

  program
    .command('capture')
    .description('save camera frames with COCO ground truth (boxes, masks, depth, semantics) for detector datasets')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a scenario file', 'highway')
    .option('--frames <n>', 'frames per seed', '50')
    .option('--seeds <a..b>', 'seeds: one, a range a..b, or a list a,b,c', '0')
    .requiredOption('--out <dir>', 'output directory')
    .option('-a, --agent <name|dir>', 'who drives while capturing', 'expert')
    .option('--every <k>', 'env steps between frames', '5')
    .option('--width <px>', 'image width (default: the scenario camera\'s, else 128)')
    .option('--height <px>', 'image height (default: the scenario camera\'s, else 96)')
    .option('--fov <deg>', 'horizontal field of view (default: the scenario camera\'s, else 70)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action(captureCommand);

  const scenarios = program.command('scenarios').description('list and check scenarios');
  scenarios.command('list').description('list the built-in scenarios').option('--json', 'as JSON').action(listCommand);
  scenarios
    .command('validate')
    .description('check scenario files against the schema')
    .argument('<files...>', 'JSON or YAML scenario files')
    .action(validateCommand);
  scenarios
    .command('schema')
    .description('print the JSON Schema of scenario files, for editor completion and checks')
    .option('--suite', 'the schema of suite files instead')
    .action(schemaCommand);

  for (const cmd of [program, ...program.commands, ...scenarios.commands, ...bench.commands]) {
    cmd.exitOverride();
    cmd.configureOutput({ outputError: (text, write) => write(text.split('\n')[0].replace(/^error: /, 'drivelab: ') + '\n') });
  }
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command may have set its own code, such as 130 for an interrupted benchmark.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed its one line otherwise.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    const { lines, code } = describeError(err);
    for (const line of lines) process.stderr.write(line + '\n');
    if (process.env.DRIVELAB_DEBUG && err instanceof Error) process.stderr.write((err.stack ?? '') + '\n');
    return code;
  }
}

process.exitCode = await main(process.argv);
