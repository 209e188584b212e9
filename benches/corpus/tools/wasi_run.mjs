// Run a WASI command module on Node's built-in WASI (Node >= 20), as a
// check tool beside wasi_run.py.
//
//   node wasi_run.mjs [--trace] MODULE.wasm [ARGS...]
//
// Prints the guest's stdout and exits with its exit code. With --trace, the
// WASI functions the guest called are listed on stderr with call counts as
// "wasi-calls: name=count ...".
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';
import process from 'node:process';

let argv = process.argv.slice(2);
let trace = false;
if (argv[0] === '--trace') { trace = true; argv = argv.slice(1); }
if (argv.length === 0) {
  console.error('usage: node wasi_run.mjs [--trace] MODULE.wasm [ARGS...]');
  process.exit(2);
}
const [path, ...args] = argv;
const wasi = new WASI({ version: 'preview1', args: [basename(path), ...args], env: {}, returnOnExit: true });
const imports = wasi.getImportObject();
const counts = new Map();
if (trace) {
  const ns = imports.wasi_snapshot_preview1;
  for (const [name, fn] of Object.entries(ns)) {
    ns[name] = (...a) => { counts.set(name, (counts.get(name) ?? 0) + 1); return fn(...a); };
  }
}
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, imports);
const code = wasi.start(instance);
if (trace) {
  console.error('wasi-calls: ' + [...counts].map(([k, v]) => `${k}=${v}`).join(' '));
}
process.exitCode = code;
