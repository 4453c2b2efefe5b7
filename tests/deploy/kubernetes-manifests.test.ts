// Issue 16 "Must show": `kubectl kustomize` renders the cpu and cuda overlays (and the sharded
// analyze Job template), and every rendered object validates against its Kubernetes schema:
// core types with kubernetes-models, the KEDA ScaledObject and the Prometheus Operator
// ServiceMonitor with their CRD models. Those schemas check types and required fields but let
// unknown fields through, so what the replicas' behaviour depends on (probes, grace period,
// security, selectors, the scaling query) is asserted by name below: a misspelt field fails there.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { CLOSE_TIMEOUT_MS } from '../../src/server/lifecycle.js';
import { requireKubectl } from '../helpers/system-programs.js';

const ROOT = resolve(import.meta.dirname, '../../deploy/kubernetes');
/** `shotvl serve`'s close timeout after the drain. */
const CLOSE_TIMEOUT_SECONDS = CLOSE_TIMEOUT_MS / 1000;

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
} & Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** The objects `kubectl kustomize` renders (kubectl ships kustomize; without a recent one, an error saying so). */
function render(folder: string): Manifest[] {
  requireKubectl();
  const text = execFileSync('kubectl', ['kustomize', resolve(ROOT, folder)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.join('; '));
    return document.toJSON() as Manifest;
  });
}

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (Model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

function find<T>(manifests: Manifest[], kind: string, name?: string): T {
  const found = manifests.find(
    (manifest) => manifest.kind === kind && (name === undefined || manifest.metadata.name === name),
  );
  if (found === undefined) throw new Error(`no ${kind} ${name ?? ''}`);
  return found as unknown as T;
}

function settings(manifests: Manifest[]): Record<string, string> {
  return find<{ data: Record<string, string> }>(manifests, 'ConfigMap').data;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

describe.each(['cpu', 'cuda'])('deploy/kubernetes/overlays/%s', (overlay) => {
  // Rendered once, before the first test rather than while collecting the file; in a beforeEach, so
  // that without kubectl every test fails with requireKubectl's message (a failing beforeAll would
  // leave them reported as skipped).
  let manifests: Manifest[] = [];
  let deployment: Deployment;
  let pod: IPodSpec;
  let server: IContainer;
  beforeEach(() => {
    if (manifests.length > 0) return;
    manifests = render(`overlays/${overlay}`);
    deployment = find<Deployment>(manifests, 'Deployment', 'shotvl-server');
    pod = deployment.spec!.template.spec as IPodSpec;
    server = pod.containers.find((container) => container.name === 'server') as IContainer;
  });

  it('renders every object of the issue, each valid against its schema', () => {
    expect(manifests.map((manifest) => manifest.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'Job',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'ScaledObject',
        'Service',
        'ServiceMonitor',
      ].sort(),
    );
    for (const manifest of manifests)
      expect(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
  });

  it('probes /health for startup and readiness and /health/live for liveness, with room for a first start', () => {
    expect(server.startupProbe?.httpGet?.path).toBe('/health');
    expect(server.readinessProbe?.httpGet?.path).toBe('/health');
    expect(server.livenessProbe?.httpGet?.path).toBe('/health/live');
    const startup = server.startupProbe!;
    expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)).toBeGreaterThanOrEqual(30 * 60);
    expect(server.ports?.find((port) => port.name === 'http')?.containerPort).toBe(
      Number(settings(manifests)['SHOTVL_PORT']),
    );
  });

  it('sleeps in preStop, then drains within terminationGracePeriodSeconds', () => {
    const sleep = server.lifecycle?.preStop?.exec?.command;
    expect(sleep?.[0]).toBe('sleep');
    const preStopSeconds = Number(sleep?.[1]);
    expect(preStopSeconds).toBeGreaterThanOrEqual(5);
    const drain = Number(settings(manifests)['SHOTVL_DRAIN_GRACE']);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + drain + CLOSE_TIMEOUT_SECONDS);
    expect(server.envFrom?.[0]?.configMapRef?.name).toBe(find<Manifest>(manifests, 'ConfigMap').metadata.name);
  });

  it('runs non-root on a read-only root filesystem, with a writable model store and /tmp', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(10001); // the images' shotvl user
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      expect(container.securityContext?.readOnlyRootFilesystem, container.name).toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation, container.name).toBe(false);
    }
    const models = server.volumeMounts?.find((mount) => mount.mountPath === '/models');
    expect(models?.readOnly ?? false).toBe(false);
    expect(server.volumeMounts?.some((mount) => mount.mountPath === '/tmp')).toBe(true);
    expect(settings(manifests)['SHOTVL_MODEL_STORE']?.startsWith('/models/')).toBe(true);
    expect(server.resources?.requests?.['memory']).toBeDefined();
    expect(server.resources?.limits?.['memory']).toBeDefined();
  });

  it('converts once in a Job into the volume the replicas start from', () => {
    const job = find<Job>(manifests, 'Job', 'shotvl-convert-model');
    const jobPod = job.spec!.template.spec as IPodSpec;
    const claim = (spec: IPodSpec) =>
      spec.volumes?.find((volume) => volume.name === 'models')?.persistentVolumeClaim?.claimName;
    expect(claim(jobPod)).toBe('shotvl-models');
    expect(claim(pod)).toBe('shotvl-models');
    expect(find<PersistentVolumeClaim>(manifests, 'PersistentVolumeClaim').metadata?.name).toBe('shotvl-models');
    expect(jobPod.containers[0]?.args?.join(' ')).toContain('dist/cli/main.js convert');
    expect(pod.initContainers?.[0]?.name).toBe('wait-for-model');
  });

  it('selects the replicas from the Service, the PDB and the NetworkPolicy; monitors and scales them', () => {
    const podLabels = deployment.spec!.template.metadata!.labels;
    const service = find<Service>(manifests, 'Service');
    expect(matches(service.spec!.selector, podLabels)).toBe(true);
    expect(
      matches(find<PodDisruptionBudget>(manifests, 'PodDisruptionBudget').spec!.selector!.matchLabels, podLabels),
    ).toBe(true);
    const policy = find<NetworkPolicy>(manifests, 'NetworkPolicy');
    expect(matches(policy.spec!.podSelector?.matchLabels, podLabels)).toBe(true);
    expect(policy.spec!.policyTypes).toContain('Egress');
    const monitor = find<ServiceMonitor>(manifests, 'ServiceMonitor');
    expect(matches(monitor.spec.selector.matchLabels, service.metadata!.labels)).toBe(true);
    expect(monitor.spec.endpoints?.[0]?.path).toBe('/metrics');
    expect(service.spec!.ports?.map((port) => port.name)).toContain(monitor.spec.endpoints?.[0]?.port);
    const scaled = find<ScaledObject>(manifests, 'ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe(deployment.metadata!.name);
    expect(scaled.spec.triggers[0]?.type).toBe('prometheus');
    expect(scaled.spec.triggers[0]?.metadata['query']).toContain('vllm:num_requests_waiting');
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(deployment.spec!.replicas).toBeUndefined(); // KEDA owns the count
  });

  it(`runs the ${overlay} image and device`, () => {
    expect(server.image).toBe(`shotvl-server:${overlay}`);
    expect(settings(manifests)['SHOTVL_DEVICE']).toBe(overlay);
    expect(server.resources?.limits?.['nvidia.com/gpu']).toBe(overlay === 'cuda' ? '1' : undefined);
  });
});

describe('deploy/kubernetes/jobs/analyze-shards', () => {
  it('renders an Indexed Job whose pods each analyze their own shard', () => {
    const manifests = render('jobs/analyze-shards');
    for (const manifest of manifests) validate(manifest);
    const job = find<Job>(manifests, 'Job');
    expect(job.spec!.completionMode).toBe('Indexed');
    const container = (job.spec!.template.spec as IPodSpec).containers[0]!;
    const shards = container.env?.find((variable) => variable.name === 'SHARDS')?.value;
    expect(Number(shards)).toBe(job.spec!.completions);
    expect(container.args).toContain('$(JOB_COMPLETION_INDEX)/$(SHARDS)');
    expect(
      container.env?.find((variable) => variable.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath,
    ).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
  });
});

describe('the schema check', () => {
  it('rejects what the API server would', () => {
    const manifests = render('overlays/cpu');
    const deployment = structuredClone(find<Manifest>(manifests, 'Deployment'));
    (deployment['spec'] as Record<string, unknown>)['revisionHistoryLimit'] = 'three';
    expect(() => validate(deployment)).toThrow(/revisionHistoryLimit must be integer/);
    const scaled = structuredClone(find<Manifest>(manifests, 'ScaledObject'));
    delete (scaled['spec'] as Record<string, unknown>)['scaleTargetRef'];
    expect(() => validate(scaled)).toThrow(/scaleTargetRef/);
  });
});
