// The real answers to the CudaProbes questions, from the file system, the dynamic loader's cache,
// nvidia-smi and onnxruntime itself. Each source can be replaced (tests give a fake file system and
// command runner); environment values come in as options, read by src/config.
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import { runCommand as runSystemCommand, type CommandRunner } from './command-runner.js';
import {
  CUDA_PROVIDER_DEPENDENCIES,
  CUDA_PROVIDER_LIBRARIES,
  sonameStem,
  type BindingBackend,
  type CudaLibraryReport,
  type CudaProbes,
  type MissingLibrary,
  type NvidiaDeviceReport,
  type SessionCheck,
} from './cuda-probes.js';
import { runCudaProbeSession } from './probe-session.js';

export interface ProbeFileSystem {
  exists(path: string): boolean;
  /** Entry names of a folder; empty when it does not exist or cannot be read. */
  list(directory: string): string[];
}

export const systemFileSystem: ProbeFileSystem = {
  exists(path) {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  },
  list(directory) {
    try {
      return readdirSync(directory);
    } catch {
      return [];
    }
  },
};

export interface SystemProbeOptions {
  /** LD_LIBRARY_PATH as read by src/config (colon-separated folders). */
  libraryPath?: string | undefined;
  /** CUDA_VISIBLE_DEVICES as read by src/config. */
  visibleDevices?: string | undefined;
  /** Folder of onnxruntime_binding.node; default: found from the installed onnxruntime-node. */
  bindingDirectory?: string;
  /** Limit for each diagnostic command (nvidia-smi can hang on a wedged driver). Default 5 s. */
  commandTimeoutMs?: number;
  runCommand?: CommandRunner;
  fileSystem?: ProbeFileSystem;
  listBackends?: () => readonly BindingBackend[];
  runCudaSession?: (deviceId: number) => Promise<SessionCheck>;
  /** Default `${process.platform}/${process.arch}`. */
  platform?: string;
  /** Where device nodes live; default /dev. */
  deviceDirectory?: string;
  /** Where CUDA toolkits are installed as cuda, cuda-12.4, ...; default /usr/local. */
  toolkitParent?: string;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** onnxruntime-node's binding loads from bin/napi-v6/<platform>/<arch> (dist/binding.js). */
export function defaultBindingDirectory(): string {
  const packageEntry = createRequire(import.meta.url).resolve('onnxruntime-node'); // .../onnxruntime-node/dist/index.js
  return join(dirname(packageEntry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** `ldconfig -p` lines look like `\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudart.so.12`. */
export function parseLdconfigCache(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\S+)\s+\(.*\)\s+=>/.exec(line);
    if (match !== null) names.push(match[1]!);
  }
  return names;
}

/** `ldd` lines for unresolved libraries look like `\tlibcudnn.so.9 => not found`. */
export function parseLddMissing(output: string): string[] {
  const names: string[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+not found\s*$/.exec(line);
    if (match !== null) names.push(match[1]!);
  }
  return names;
}

/** `nvidia-smi -L` prints `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-…)` per GPU. */
export function parseNvidiaSmiList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^GPU \d+:/.test(line));
}

function otherVersions(soname: string, available: ReadonlySet<string>): string[] {
  const stem = sonameStem(soname);
  const pattern = new RegExp(`^${stem.replace(/[.+]/g, '\\$&')}\\d+$`);
  return [...available].filter((name) => name !== soname && pattern.test(name)).sort();
}

export function createSystemProbes(options: SystemProbeOptions = {}): CudaProbes {
  const fileSystem = options.fileSystem ?? systemFileSystem;
  const run = options.runCommand ?? runSystemCommand;
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const deviceDirectory = options.deviceDirectory ?? '/dev';
  const toolkitParent = options.toolkitParent ?? '/usr/local';
  let bindingDirectory = options.bindingDirectory;
  const binding = (): string => (bindingDirectory ??= defaultBindingDirectory());

  /** Folders the loader would search besides its cache: LD_LIBRARY_PATH, the binding's own folder, CUDA toolkits. */
  function libraryFolders(): string[] {
    const fromPath = (options.libraryPath ?? '').split(':').filter((folder) => folder !== '');
    const toolkits = fileSystem
      .list(toolkitParent)
      .filter((name) => name.startsWith('cuda'))
      .flatMap((name) => {
        const root = join(toolkitParent, name);
        const targets = fileSystem.list(join(root, 'targets')).map((target) => join(root, 'targets', target, 'lib'));
        return [join(root, 'lib64'), join(root, 'lib'), ...targets];
      });
    return [...fromPath, binding(), ...toolkits];
  }

  async function loaderCache(): Promise<string[]> {
    for (const ldconfig of ['/sbin/ldconfig', 'ldconfig']) {
      const result = await run(ldconfig, ['-p'], timeoutMs);
      if (result.ok) return parseLdconfigCache(result.stdout);
      if (result.reason !== 'not_found') return [];
    }
    return [];
  }

  async function availableLibraries(): Promise<Set<string>> {
    const names = new Set(await loaderCache());
    for (const folder of libraryFolders()) for (const name of fileSystem.list(folder)) names.add(name);
    return names;
  }

  return {
    async binding() {
      const platform = options.platform ?? `${process.platform}/${process.arch}`;
      try {
        return { platform, backends: (options.listBackends ?? listSupportedBackends)() };
      } catch {
        return { platform, backends: [] };
      }
    },

    async providerLibraries() {
      const directory = binding();
      return {
        directory,
        missing: CUDA_PROVIDER_LIBRARIES.filter((name) => !fileSystem.exists(join(directory, name))),
      };
    },

    async nvidiaDevices(): Promise<NvidiaDeviceReport> {
      const deviceFiles = fileSystem
        .list(deviceDirectory)
        .filter((name) => /^nvidia\d+$/.test(name))
        .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))
        .map((name) => join(deviceDirectory, name));
      const result = await run('nvidia-smi', ['-L'], timeoutMs);
      const smi = result.ok
        ? { ok: true as const, gpus: parseNvidiaSmiList(result.stdout) }
        : { ok: false as const, message: result.message };
      return { deviceFiles, smi, visibleDevices: options.visibleDevices };
    },

    async cudaLibraries(): Promise<CudaLibraryReport> {
      const available = await availableLibraries();
      const describe = (soname: string): MissingLibrary => ({
        soname,
        otherVersions: otherVersions(soname, available),
      });
      const providerPath = join(binding(), CUDA_PROVIDER_LIBRARIES[0]!);
      if (fileSystem.exists(providerPath)) {
        const ldd = await run('ldd', [providerPath], timeoutMs);
        if (ldd.ok) return { method: 'ldd', missing: parseLddMissing(ldd.stdout).map(describe) };
      }
      const missing = CUDA_PROVIDER_DEPENDENCIES.map((library) => library.soname).filter(
        (soname) => !available.has(soname),
      );
      return { method: 'scan', missing: missing.map(describe) };
    },

    runCudaSession: options.runCudaSession ?? runCudaProbeSession,
  };
}
