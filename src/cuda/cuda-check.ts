// Decides whether the CUDA execution provider can run on device N, from the probes' answers, and
// if not, says what is missing and how to fix it. Pure logic over CudaProbes: tested without a GPU.
//
// Checks run in the order a person would fix things: a binding with CUDA at all, a GPU and driver,
// the device index, the provider library, the CUDA/cuDNN libraries, and finally a real session.
// All static checks run even after one fails, so one error lists every missing piece; the session
// check runs only when nothing is known to be missing (onnxruntime would fail and print its own
// loader errors otherwise).
import {
  CUDA_PROVIDER_DEPENDENCIES,
  CUDA_PROVIDER_LIBRARIES,
  type CudaLibraryReport,
  type CudaProbes,
  type NvidiaDeviceReport,
  type ProviderLibraryReport,
} from './cuda-probes.js';
import type { CudaMissingPart } from './device-errors.js';

export interface CudaProblem {
  part: CudaMissingPart;
  /** What is missing, as a clause: "no NVIDIA GPU is visible (…)". */
  summary: string;
  /** What to do about it. */
  fix: string;
}

export type CudaCheck = { ok: true; gpuName: string | undefined } | { ok: false; problems: CudaProblem[] };

/** The install command for the provider files; ONNXRUNTIME_NODE_INSTALL beats the .npmrc `skip` (script/install-utils.js parseInstallFlag). */
export const PROVIDER_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/**
 * How many CUDA devices the process may use: CUDA_VISIBLE_DEVICES lists them (CUDA stops at the first
 * invalid entry; '' or '-1' hides all), otherwise every GPU nvidia-smi or /dev shows.
 */
export function visibleDeviceCount(report: NvidiaDeviceReport): { physical: number; visible: number } {
  const physical = Math.max(report.smi.ok ? report.smi.gpus.length : 0, report.deviceFiles.length);
  if (report.visibleDevices === undefined) return { physical, visible: physical };
  const entries = report.visibleDevices.split(',').map((entry) => entry.trim());
  const firstInvalid = entries.findIndex((entry) => entry === '' || entry.startsWith('-'));
  const listed = firstInvalid < 0 ? entries.length : firstInvalid;
  return { physical, visible: Math.min(listed, physical) };
}

function deviceProblems(deviceId: number, report: NvidiaDeviceReport): CudaProblem[] {
  const { physical, visible } = visibleDeviceCount(report);
  if (physical === 0) {
    const smi = report.smi.ok ? 'nvidia-smi lists no GPU' : report.smi.message;
    return [
      {
        part: 'driver_missing',
        summary: `no NVIDIA GPU is visible (no /dev/nvidia<N> device; ${smi})`,
        fix: 'install the NVIDIA driver so that `nvidia-smi -L` lists the GPU; in Docker, start the container with `--gpus all` (NVIDIA Container Toolkit)',
      },
    ];
  }
  if (visible === 0) {
    return [
      {
        part: 'device_not_found',
        summary: `CUDA_VISIBLE_DEVICES='${report.visibleDevices}' hides every GPU`,
        fix: 'unset CUDA_VISIBLE_DEVICES or list the GPU to use in it',
      },
    ];
  }
  if (deviceId >= visible) {
    const restriction =
      visible < physical ? ` (CUDA_VISIBLE_DEVICES='${report.visibleDevices}' of ${physical} GPUs)` : '';
    return [
      {
        part: 'device_not_found',
        summary: `CUDA device ${deviceId} does not exist: ${visible} device(s) are visible${restriction}`,
        fix: visible === 1 ? 'use --device cuda:0' : `use --device cuda:0 to cuda:${visible - 1}`,
      },
    ];
  }
  return [];
}

function providerProblems(report: ProviderLibraryReport): CudaProblem[] {
  if (report.missing.length === 0) return [];
  return [
    {
      part: 'provider_not_installed',
      summary: `onnxruntime-node's CUDA provider is not installed: ${report.missing.join(' and ')} not found in ${report.directory}`,
      fix:
        `onnxruntime-node downloads these files from NuGet only on request (this project's .npmrc sets onnxruntime-node-install=skip): ` +
        `run \`${PROVIDER_INSTALL_COMMAND}\` with access to api.nuget.org, or reinstall with \`npm ci --onnxruntime-node-install=cuda12\` ` +
        `(the older --onnxruntime-node-install-cuda / ONNXRUNTIME_NODE_INSTALL_CUDA flag is overridden by the .npmrc skip)`,
    },
  ];
}

function libraryProblems(report: CudaLibraryReport): CudaProblem[] {
  if (report.missing.length === 0) return [];
  const names = report.missing.map(({ soname }) => {
    const component = CUDA_PROVIDER_DEPENDENCIES.find((library) => library.soname === soname)?.component;
    return component === undefined ? soname : `${soname} (${component})`;
  });
  const others = report.missing.flatMap(({ soname, otherVersions }) =>
    otherVersions.length === 0
      ? []
      : [`found ${otherVersions.join(', ')}, another major version, which cannot replace ${soname}`],
  );
  const how =
    report.method === 'ldd'
      ? `the dynamic loader cannot find ${names.join(', ')} for ${CUDA_PROVIDER_LIBRARIES[0]}`
      : `${names.join(', ')} not found (ldconfig cache, LD_LIBRARY_PATH, /usr/local/cuda*)`;
  return [
    {
      part: 'libraries_missing',
      summary: `the CUDA 12 runtime libraries or cuDNN 9 are missing: ${how}${others.length === 0 ? '' : `; ${others.join('; ')}`}`,
      fix:
        "install the CUDA 12 libraries and cuDNN 9 (Debian/Ubuntu with NVIDIA's apt repository: cuda-libraries-12-<minor> and libcudnn9-cuda-12; " +
        'or use the nvidia/cuda:12.x-cudnn-runtime image) and make them findable through ldconfig or LD_LIBRARY_PATH',
    },
  ];
}

async function staticProblems(
  deviceId: number,
  probes: CudaProbes,
): Promise<{ problems: CudaProblem[]; libraries: CudaLibraryReport; devices: NvidiaDeviceReport; directory: string }> {
  const [devices, provider, libraries] = await Promise.all([
    probes.nvidiaDevices(),
    probes.providerLibraries(),
    probes.cudaLibraries(),
  ]);
  const problems = [...deviceProblems(deviceId, devices), ...providerProblems(provider), ...libraryProblems(libraries)];
  return { problems, libraries, devices, directory: provider.directory };
}

/** Runs the checks for CUDA device `deviceId`. Never throws: a probe that throws becomes a problem. */
export async function checkCuda(deviceId: number, probes: CudaProbes): Promise<CudaCheck> {
  try {
    const binding = await probes.binding();
    if (!binding.backends.some((backend) => backend.name === 'cuda')) {
      const offered = binding.backends.map((backend) => backend.name).join(', ') || 'none';
      return {
        ok: false,
        problems: [
          {
            part: 'provider_not_built',
            summary: `onnxruntime-node has no CUDA execution provider for ${binding.platform} (it offers: ${offered})`,
            fix: 'onnxruntime-node ships CUDA support for linux/x64 only; use --device cpu here',
          },
        ],
      };
    }
    const { problems, libraries, devices, directory } = await staticProblems(deviceId, probes);
    // A scan is only a hint (the loader may find libraries through RUNPATH): let the session decide.
    const hintOnly = problems.length === 1 && problems[0]!.part === 'libraries_missing' && libraries.method === 'scan';
    if (problems.length > 0 && !hintOnly) return { ok: false, problems };

    const session = await probes.runCudaSession(deviceId);
    if (!session.ok) {
      const failure: CudaProblem = {
        part: 'session_failed',
        summary: `onnxruntime could not run a CUDA session on device ${deviceId}: ${session.message}`,
        fix:
          `onnxruntime's own log lines above give the loader's exact error; \`ldd ${directory}/${CUDA_PROVIDER_LIBRARIES[0]}\` lists libraries it cannot resolve; ` +
          'the driver must support CUDA 12 (`nvidia-smi` shows "CUDA Version: 12.x" or later)',
      };
      return { ok: false, problems: [...problems, failure] };
    }
    // nvidia-smi numbers GPUs physically; with CUDA_VISIBLE_DEVICES set, CUDA's index N is another GPU.
    const gpuName = devices.visibleDevices === undefined && devices.smi.ok ? devices.smi.gpus[deviceId] : undefined;
    return { ok: true, gpuName };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      problems: [
        {
          part: 'session_failed',
          summary: `the CUDA check failed unexpectedly: ${message}`,
          fix: 'run with --device cpu, and report this',
        },
      ],
    };
  }
}
