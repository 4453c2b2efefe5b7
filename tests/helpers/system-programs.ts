// Programs from outside npm that some tests run: ffmpeg (Debian's `ffmpeg`, which .ci/run installs)
// and kubectl (which Debian does not package in a version whose kustomize renders deploy/kubernetes;
// README "Development" says where to get it, and .ci/run refuses to start without it). Chromium and
// HAProxy have their own helpers (chromium.ts, tests/e2e/haproxy.ts). Tests never skip for lack of a
// program: the test that needs one fails, naming what is missing and how to get it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const FFMPEG = '/usr/bin/ffmpeg';

/** `path`, or an error naming it and how to install it. */
export function requireProgram(path: string, install: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${install}`);
  return path;
}

/** ffmpeg (and with it ffprobe), for tests that make or decode videos. */
export function requireFfmpeg(): string {
  return requireProgram(FFMPEG, 'apt-get install ffmpeg (.ci/run does)');
}

/** The oldest kubectl whose built-in kustomize (v4.2) knows the `labels` field deploy/kubernetes uses. */
export const MIN_KUBECTL_MINOR = 22;

const KUBECTL_INSTALL =
  `install kubectl 1.${MIN_KUBECTL_MINOR} or newer from https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/ ` +
  "(Debian's kubernetes-client package is 1.20, too old to render deploy/kubernetes)";

/** Checks that kubectl is on the PATH and new enough for `kubectl kustomize deploy/kubernetes/...`. */
export function requireKubectl(): void {
  const result = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0)
    throw new Error(
      `kubectl is missing or does not run (${result.error?.message ?? result.stderr.trim()}): ${KUBECTL_INSTALL}`,
    );
  const version = (JSON.parse(result.stdout) as { clientVersion?: { major?: string; minor?: string } }).clientVersion;
  const minor = Number.parseInt(version?.minor ?? '', 10);
  if (version?.major !== '1' || !(minor >= MIN_KUBECTL_MINOR))
    throw new Error(`kubectl ${version?.major}.${version?.minor} is too old: ${KUBECTL_INSTALL}`);
}
