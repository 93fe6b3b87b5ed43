/**
 * The `drivelab` command line as a function: arguments and output writers in, an exit code out.
 * Bad input gets one line per problem on stderr and exit code 2. `bin/drivelab.mjs` runs it on
 * the process; tests call it in-process with their own writers.
 */
import { Command, CommanderError } from 'commander';
import { describeError } from './errors.ts';
import { runCommand } from './commands/run.ts';
import { listCommand, schemaCommand, validateCommand } from './commands/scenarios.ts';
import { benchCommand, compareCommand } from './commands/bench.ts';
import { captureCommand } from './commands/capture.ts';
import { evalCommand, trainCommand } from './commands/train.ts';
import { evalDetectionsCommand } from './commands/evalDetections.ts';
import { evalDetectorCommand } from './commands/evalDetector.ts';
import type { TrainDetectorCliOptions } from './commands/trainDetector.ts';
import { evalTrackingCommand } from './commands/evalTracking.ts';
import { viewCommand } from './commands/view.ts';
import { workerCommand } from './commands/worker.ts';
import { processIo, type CliIo } from './io.ts';
import { VERSION } from './version.ts';
import { BACKENDS } from '../perception/runtime/backends.ts';

export type { CliIo } from './io.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

/** A command's exit code when it is not 0, e.g. 130 for an interrupted benchmark. */
type Action = () => Promise<number | void> | number | void;

function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  /**
   * A commander action that runs a command with its arguments, its options and `io`, and keeps
   * the exit code it asks for. Commander passes the Command object last; commands do not need it.
   */
  const act = (fn: (...args: never[]) => ReturnType<Action>) => async (...args: unknown[]) => {
    const code = await (fn as (...args: unknown[]) => ReturnType<Action>)(...args.slice(0, -1), io);
    if (typeof code === 'number') setCode(code);
  };

  const program = new Command('drivelab')
    .description('Autonomous-driving simulation and benchmarks: scenarios, agents, sensors and datasets.')
    .version(VERSION)
    .enablePositionalOptions();

  program
    .command('run')
    .description('drive one episode headless and print a summary')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .json/.yaml scenario file (default: a saved policy\'s training scenario, else highway)')
    .option('-a, --agent <name|dir>', 'expert, random, or a saved policy directory', 'expert')
    .option('--seed <n>', 'episode seed', '0')
    .option('--set <path=value>', 'override a scenario field, e.g. --set traffic.vehicles=5 (repeatable)', collect, [])
    .option('--json', 'print the summary as one JSON object')
    .option('--render <dir>', 'save chase-camera PNGs of the episode into a new or empty directory')
    .option('--render-every <k>', 'with --render: save every k-th step (default 1)')
    .action(act(runCommand));

  const bench = program
    .command('bench')
    .description('run a benchmark suite and write a report (default: the smoke suite with the expert)')
    .option('--suite <id|file>', 'smoke, standard, or a .json/.yaml suite file', 'smoke')
    .option('-a, --agent <name|dir>', 'expert, random, or a saved policy directory', 'expert')
    .option('--detector <name|file>', 'ground-truth, or what the agent perceives with besides (each episode is also driven on ground truth): oracle, noisy-oracle, cnn, a model directory, or a plug-in module (.mjs) exporting load()', 'ground-truth')
    .option('--episodes <n>', 'episodes per scenario (default: the suite\'s)')
    .option('--workers <k>', 'worker threads (default: the number of cores)')
    .option('--out <dir>', 'result directory, new or empty (default: results/<suite>-<agent>-<time>)')
    .option('--record', 'save every episode as a drivelab-record file (records/*.drec.json.gz) for replay')
    .option('--resume', 'continue an interrupted run in --out')
    .option('--backend <name>', 'tfjs backend for a tfjs detector: auto, tensorflow, wasm, webgpu, cpu', 'auto')
    .option('--queue <url>', 'run the episodes on `drivelab worker` processes through Redis (redis://[user:password@]host[:port][/db], rediss:// for TLS)')
    .option('--queue-timeout <seconds>', 'with --queue: how long Redis may be out of reach before the run stops, keeping what finished (default 15)')
    .option('--json', 'print the aggregates as JSON')
    .enablePositionalOptions()
    .action(act(benchCommand));
  bench
    .command('compare')
    .description('per-metric differences between two result directories, with confidence intervals')
    .argument('<a>', 'baseline result directory')
    .argument('<b>', 'result directory to compare with it')
    .option('--json', 'as JSON')
    .action(act(compareCommand));

  program
    .command('train')
    .description('train an agent (qlearning, dqn, reinforce, ppo) on a scenario; writes the policy, checkpoints and a learning curve')
    .requiredOption('-a, --agent <name>', 'qlearning, dqn, reinforce or ppo')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a scenario file', 'highway')
    .option('--steps <n>', 'env steps in all (default: the agent\'s); PPO rounds up to whole rollouts, and with rollout jobs to whole episodes')
    .option('--envs <k>', 'envs stepped together (default: 1 for qlearning and dqn, 8 for reinforce and ppo)')
    .option('--seed <n>', 'seed of the networks, exploration and training episodes', '0')
    .option('--out <dir>', 'run directory, new or empty (default: runs/<agent>-<scenario>-<time>)')
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--arg <name=value>', 'an algorithm argument, e.g. --arg learningRate=0.001 (repeatable)', collect, [])
    .option('--checkpoint-every <n>', 'env steps between checkpoints (default: a tenth of the run, at least 5000)')
    .option('--eval-every <n>', 'env steps between evaluations on validation seeds; 0 for none (default: a tenth of the run, at least 5000)')
    .option('--eval-episodes <n>', 'validation episodes per evaluation', '10')
    .option('--backend <name>', `tfjs backend: ${BACKENDS.join(', ')}`, 'auto')
    .option('--no-env-thread', 'step the envs in this thread instead of a worker thread (results are the same)')
    .option('--queue <url>', 'ppo, reinforce: play the training episodes on `drivelab worker` processes through Redis (redis://[user:password@]host[:port][/db], rediss:// for TLS)')
    .option('--rollout-jobs <n>', 'ppo, reinforce: collect whole episodes in this many rollout jobs per update, the envs shared out among them (default with --queue: one per two envs, up to 8); without --queue they run in this process')
    .option('--queue-timeout <seconds>', 'with --queue: how long Redis may be out of reach before training stops at its last checkpoint (default 15)')
    .option('--json', 'print the result as JSON')
    .action(act(trainCommand));

  program
    .command('eval')
    .description('score a policy on test seeds: success rate, route completion, mean return')
    .requiredOption('-a, --agent <name|dir>', 'expert, random, or a saved policy directory such as runs/name')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a scenario file (default: the policy\'s training scenario, else highway)')
    .option('--episodes <n>', 'episodes, one per seed', '50')
    .option('--first-seed <n>', 'seed of the first episode (test seeds start at 1000000)', '1000000')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--json', 'print the result as JSON')
    .action(act(evalCommand));

  program
    .command('capture')
    .description('save camera frames with COCO ground truth (boxes, masks, depth, semantics) for detector datasets')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a scenario file (default: a saved policy\'s training scenario, else highway)')
    .option('--frames <n>', 'frames per seed, at most; an episode that ends early gives fewer', '50')
    .option('--seeds <a..b>', 'seeds: one, a range a..b, or a list a,b,c', '0')
    .requiredOption('--out <dir>', 'output directory, new or empty')
    .option('-a, --agent <name|dir>', 'who drives while capturing', 'expert')
    .option('--every <k>', 'env steps between frames', '5')
    .option('--width <px>', 'image width (default: the scenario camera\'s, else 128)')
    .option('--height <px>', 'image height (default: the scenario camera\'s, else 96)')
    .option('--fov <deg>', 'horizontal field of view (default: the scenario camera\'s, else 70)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action(act(captureCommand));

  program
    .command('eval-detector')
    .description('drive, capture, detect and score: COCO box AP of a detector by class, lighting and distance')
    .requiredOption('--detector <name|file>', 'oracle, noisy-oracle, cnn, a model directory, or a plug-in module (.mjs) exporting load()')
    .option('-s, --scenario <ids|files>', 'built-in scenario ids or scenario files, comma-separated; their frames are pooled (default: highway)')
    .option('-a, --agent <name|dir>', 'who drives', 'expert')
    .option('--seeds <a..b>', 'seeds: one, a range a..b, or a list a,b,c', '1000000..1000004')
    .option('--frames <n>', 'frames per seed and lighting, at most', '20')
    .option('--every <k>', 'env steps between frames', '5')
    .option('--lighting <list>', 'day, dusk, night, comma-separated', 'day')
    .option('--timeout <ms>', 'longest a detect() call may take', '5000')
    .option('--no-isolate', 'run a plug-in module in this thread instead of its own worker thread (which survives hangs, busy loops and process.exit)')
    .option('--on-error <stop|skip>', 'on a bad detector result: stop the run, or leave the frame out', 'stop')
    .option('--min-height <px>', 'ground truth and detections lower than this are ignored (KITTI\'s 25 px of 375 rows, scaled to 96)', '6')
    .option('--backend <name>', 'tfjs backend for tfjs detectors: auto, tensorflow, wasm, webgpu, cpu', 'auto')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--json', 'print the figures as JSON')
    .action(act(evalDetectorCommand));

  program
    .command('train-detector')
    .description('train the built-in CNN detector on capture datasets; exports float32, float16 and uint8 weights')
    .option('--data <dirs>', 'drivelab capture directories, comma-separated (repeatable)', collect, [])
    .requiredOption('--out <dir>', 'output directory, new or empty (or the run to continue, with --resume)')
    .option('--val <dirs>', 'validation capture directories (default: the last 10% of seeds of each --data directory)', collect, [])
    .option('--from <cnn|dir>', 'start from these weights (fine-tuning): cnn, or a train-detector output directory')
    .option('--resume', 'continue the interrupted run in --out from its checkpoint, with the settings it was started with')
    .option('--steps <n>', 'gradient steps', '6000')
    .option('--batch <n>', 'images per step', '32')
    .option('--lr <x>', 'peak learning rate of AdamW', '0.002')
    .option('--weight-decay <x>', 'AdamW decoupled weight decay, per unit of learning rate', '0.05')
    .option('--warmup <n>', 'steps of linear learning-rate warm-up before the cosine decay (at most a quarter of --steps)', '300')
    .option('--augment <list>', 'flip, brightness, contrast, noise (comma-separated), or none', 'flip,brightness,contrast,noise')
    .option('--seed <n>', 'seed of the initial weights, the batch order and the augmentations', '0')
    .option('--eval-every <n>', 'steps between validation AP measurements (and best/ updates)', '500')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '500')
    .option('--min-height <px>', 'validation ignores ground truth and detections lower than this', '6')
    .option('--ignore-below <px>', 'objects lower than this carry no training loss (too few pixels to learn from)', '4')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, webgpu, cpu', 'auto')
    // Loaded on use: it brings tfjs, which the other commands do without.
    .action(act(async (o: TrainDetectorCliOptions, io: CliIo) => (await import('./commands/trainDetector.ts')).trainDetectorCommand(o, io)));

  program
    .command('eval-tracking')
    .description('drive, detect, fuse with lidar and track: MOTA, MOTP and IDF1 of the world-frame tracks')
    .requiredOption('--detector <name|file>', 'oracle, noisy-oracle, cnn, a model directory, or a plug-in module (.mjs) exporting load()')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a scenario file (default: highway)')
    .option('-a, --agent <name|dir>', 'who drives', 'expert')
    .option('--seeds <a..b>', 'seeds: one, a range a..b, or a list a,b,c', '1000000..1000004')
    .option('--frames <n>', 'frames (env steps) per seed, at most', '200')
    .option('--range <m>', 'objects and tracks within this distance of the ego are scored', '50')
    .option('--threshold <m>', 'largest distance at which a track matches an object', '2')
    .option('--backend <name>', 'tfjs backend for a tfjs detector: auto, tensorflow, wasm, webgpu, cpu', 'auto')
    .option('--timeout <ms>', 'longest a detect() call may take', '5000')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--json', 'print the figures as JSON')
    .action(act(evalTrackingCommand));

  program
    .command('eval-detections')
    .description('COCO box AP of detection results against ground truth (as drivelab capture writes it)')
    .requiredOption('--gt <file>', 'COCO ground truth: { images, annotations, categories }')
    .requiredOption('--dt <file>', 'COCO results: [{ image_id, category_id, bbox, score }]')
    .option('--json', 'print the figures as JSON')
    .action(act(evalDetectionsCommand));

  program
    .command('view')
    .description('open the 3D viewer in the browser: watch an agent drive live, or replay a recorded episode')
    .option('-s, --scenario <id|file>', 'built-in scenario id or a .json/.yaml scenario file (default: a saved policy\'s training scenario, else highway)')
    .option('-a, --agent <name|dir>', 'expert, random, or a saved policy directory', 'expert')
    .option('--detector <name|file>', 'show what a detector sees and drive on its fused tracks: oracle, noisy-oracle, cnn, a model directory, or a plug-in module')
    .option('--replay <file>', 'replay a recorded episode (.drec.json.gz from bench --record) instead of running the world')
    .option('--seed <n>', 'seed of the first episode', '0')
    .option('--speed <x>', 'simulated seconds per wall second', '1')
    .option('--paused', 'start paused')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--port <n>', 'port to listen on (0: any free port)', '5170')
    .option('--host <address>', 'address to bind; anything but loopback exposes the viewer to the network', '127.0.0.1')
    .option('--allow-host <name>', 'another Host name the page may be reached by (repeatable)', collect, [])
    .option('--backend <name>', 'tfjs backend for a tfjs detector: auto, tensorflow, wasm, webgpu, cpu', 'auto')
    .action(act(viewCommand));

  program
    .command('worker')
    .description('run benchmark episodes (bench --queue) and training rollouts (train --queue) from a Redis queue, one at a time, until stopped')
    .requiredOption('--queue <url>', 'the Redis URL the runs are submitted to (redis://[user:password@]host[:port][/db], rediss:// for TLS)')
    .option('--jobs <n>', 'stop after this many jobs (default: run until Ctrl-C)')
    .option('--lock <seconds>', 'how long a job stays locked to this worker without a sign of life; a dead worker\'s job moves on after it', '30')
    .option('--quiet', 'print nothing per job')
    .action(act(workerCommand));

  const scenarios = program.command('scenarios').description('list and check scenarios');
  scenarios.command('list').description('list the built-in scenarios').option('--json', 'as JSON').action(act(listCommand));
  scenarios
    .command('validate')
    .description('check scenario files against the schema and the maps they build')
    .argument('<files...>', 'JSON or YAML scenario files')
    .option('--set <path=value>', 'override a field of every file before checking it (repeatable)', collect, [])
    .action(act(validateCommand));
  scenarios
    .command('schema')
    .description('print the JSON Schema of scenario files, for editor completion and checks')
    .option('--suite', 'the schema of suite files instead')
    .action(act(schemaCommand));

  const output = {
    writeOut: (text: string) => io.stdout(text),
    writeErr: (text: string) => io.stderr(text),
    // One line per problem, the hint included.
    outputError: (text: string, write: (s: string) => void) => write(`${text.split('\n')[0].replace(/^error: /, 'drivelab: ')} (run with --help for usage)\n`),
  };
  for (const cmd of [program, ...program.commands, ...scenarios.commands, ...bench.commands]) {
    cmd.exitOverride();
    cmd.configureOutput(output);
  }
  return program;
}

/**
 * Runs `drivelab` with the arguments after the program name, e.g. `['run', '--seed', '3']`.
 * Never exits the process: the exit code is returned.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed its one line otherwise.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    const { lines, code: failure } = describeError(err);
    for (const line of lines) io.stderr(line + '\n');
    if (process.env.DRIVELAB_DEBUG && err instanceof Error) io.stderr((err.stack ?? '') + '\n');
    return failure;
  }
}
