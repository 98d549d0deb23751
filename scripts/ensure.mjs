#!/usr/bin/env node
/**
 * Installs what `npm start` and `npm test` need and is missing, so that a fresh clone runs
 * with no other command typed first (npm's prestart, pretest and pretest:unit hooks run it):
 *
 *   1. node_modules, with `npm ci`, only when it is missing or differs from
 *      package-lock.json (npm ci deletes node_modules first: never run it on a tree that is
 *      already right, which other processes may be using);
 *   2. the build (dist/), only when a source is newer than the last build;
 *   3. with --system, the Debian packages the tests use (scripts/system-packages.mjs),
 *      installed with apt-get when running as root on Debian; otherwise one line per
 *      missing package says how to install it, and the tests that need it fail saying so.
 *
 * Progress goes to stderr, one line per step taken; nothing is printed when all is in place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCommand, onPath, SYSTEM_PACKAGES } from './system-packages.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`ensure: ${line}\n`);

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** Why node_modules is not what package-lock.json describes, or undefined when it is. */
export function staleReason() {
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const [path, meta] of Object.entries(lock.packages ?? {})) {
    if (!path.startsWith('node_modules/') || meta.link) continue;
    let version;
    try {
      version = JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8')).version;
    } catch {
      // Optional packages for other platforms (esbuild's, rollup's) are never installed.
      if (meta.optional) continue;
      return `${path} is missing`;
    }
    if (version !== meta.version) return `${path} is ${version}, package-lock.json has ${meta.version}`;
  }
  return undefined;
}

function npm(args) {
  // Under npm, npm_execpath is the npm that runs us; alone, the one on PATH.
  const execpath = process.env.npm_execpath;
  if (execpath && /\.c?js$/.test(execpath)) run(process.execPath, [execpath, ...args]);
  else run('npm', args);
}

function ensureDependencies() {
  const why = staleReason();
  if (why === undefined) return;
  say(`${why}: npm ci`);
  npm(['ci', '--no-audit', '--no-fund']);
}

/** Newest modification time under `p` (files and the folders holding them: a deletion counts). */
function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const e of readdirSync(p)) t = Math.max(t, newest(join(p, e)));
  return t;
}

const BUILD_STAMP = join(root, 'dist', '.build-stamp');

function ensureBuild() {
  const sources = ['src', 'bench', 'tsconfig.json', 'package-lock.json'].map((p) => join(root, p)).filter(existsSync);
  const built = existsSync(BUILD_STAMP) ? statSync(BUILD_STAMP).mtimeMs : -1;
  if (built >= Math.max(...sources.map(newest))) return;
  say('building dist/ (tsc)');
  const started = Date.now();
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')]);
  // Stamped with the time the build began: a source saved during it makes the next run build again.
  writeFileSync(BUILD_STAMP, `${new Date(started).toISOString()}\n`);
  utimesSync(BUILD_STAMP, new Date(started), new Date(started));
}

function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter((p) => !p.present());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  const debian = existsSync('/etc/debian_version') && (existsSync('/usr/bin/apt-get') || onPath('apt-get'));
  const rootUser = process.getuid?.() === 0;
  if (debian && rootUser) {
    say(`installing ${names.join(', ')} for the tests (apt-get)`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const aptGet = existsSync('/usr/bin/apt-get') ? '/usr/bin/apt-get' : 'apt-get';
    try {
      run(aptGet, ['update', '-q'], env);
      run(aptGet, ['install', '-y', '-q', ...names], env);
    } catch (e) {
      // The tests still run: those that need nothing more pass, the others name what is missing.
      say(`apt-get failed (${e.message}); the tests that need ${names.join(', ')} will fail`);
    }
    for (const p of missing.filter((x) => !x.present())) say(`${p.what} is still missing: install ${p.name} with \`${installCommand(p.name)}\``);
    return;
  }
  const why = !debian ? 'this is not a Debian system' : 'not running as root';
  for (const p of missing) say(`${p.what} is missing and ${why}: install ${p.name} with \`${installCommand(p.name)}\`; the tests that need it will fail until then`);
}

try {
  ensureDependencies();
  ensureBuild();
  if (process.argv.includes('--system')) ensureSystemPackages();
} catch (e) {
  say(`failed: ${e.message}`);
  process.exit(1);
}
