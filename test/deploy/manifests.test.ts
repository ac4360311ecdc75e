// Kubernetes manifests and the compose `jobs` profile, checked as data (no cluster or Docker here):
// they parse, every pod is locked down and limited, probes hit real routes, names line up, and
// every environment variable they set is one the service or the worker actually reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { WORKER_ENV } from '../../src/cli/worker.ts';
import { EnvSchema } from '../../src/server/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S = join(ROOT, 'deploy', 'k8s');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVER_ENV = new Set(Object.keys(EnvSchema.shape));
const KNOWN_ENV = new Set([...SERVER_ENV, ...WORKER_ENV, 'TFJS_BACKEND']);

const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort();
const docs: { file: string; doc: Obj }[] = [];
for (const file of files) {
  for (const d of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
    t.same(d.errors.map(String), [], `${file} parses`);
    docs.push({ file, doc: d.toJS() as Obj });
  }
}
const of = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
const named = (kind: string, name: string) => of(kind).find((d) => d.metadata?.name === name);

t.test('kustomization lists every manifest', async (t) => {
  const k = of('Kustomization')[0];
  t.same([...k.resources].sort(), files.filter((f) => f !== 'kustomization.yaml'));
});

t.test('every workload is non-root, read-only, capability-free and resource-limited', async (t) => {
  const workloads = [...of('Deployment'), ...of('StatefulSet')];
  t.same(workloads.map((w) => w.metadata.name).sort(), ['api', 'redis', 'worker']);
  for (const w of workloads) {
    const pod = w.spec.template.spec;
    const name = w.metadata.name;
    t.equal(pod.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
    t.ok(pod.securityContext?.runAsUser > 0, `${name}: a non-zero uid`);
    t.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${name}: seccomp`);
    t.equal(pod.automountServiceAccountToken, false, `${name}: no API token`);
    t.same(w.spec.selector.matchLabels, { 'app.kubernetes.io/name': name }, `${name}: selector`);
    t.same(w.spec.template.metadata.labels, w.spec.selector.matchLabels, `${name}: pod labels match the selector`);
    const volumes = new Set([...(pod.volumes ?? []).map((v: Obj) => v.name), ...(w.spec.volumeClaimTemplates ?? []).map((v: Obj) => v.metadata.name)]);
    for (const c of pod.containers) {
      t.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}: read-only root filesystem`);
      t.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name}: no privilege escalation`);
      t.same(c.securityContext?.capabilities?.drop, ['ALL'], `${name}/${c.name}: all capabilities dropped`);
      for (const k of ['cpu', 'memory']) {
        t.ok(c.resources?.requests?.[k], `${name}/${c.name}: ${k} request`);
        t.ok(c.resources?.limits?.[k], `${name}/${c.name}: ${k} limit`);
      }
      t.ok(c.livenessProbe, `${name}/${c.name}: liveness probe`);
      t.ok((c.volumeMounts ?? []).some((m: Obj) => m.mountPath === '/tmp'), `${name}/${c.name}: a writable /tmp`);
      for (const m of c.volumeMounts ?? []) t.ok(volumes.has(m.name), `${name}/${c.name}: volume ${m.name} exists`);
      for (const e of c.env ?? []) t.ok(KNOWN_ENV.has(e.name), `${name}: env ${e.name} is read by the code`);
    }
  }
});

t.test('API: probes on /healthz and /readyz, a Service, an HPA and a PDB that point at it', async (t) => {
  const api = named('Deployment', 'api')!;
  const c = api.spec.template.spec.containers[0];
  t.equal(c.livenessProbe.httpGet.path, '/healthz');
  t.equal(c.readinessProbe.httpGet.path, '/readyz');
  t.equal(c.startupProbe.httpGet.path, '/healthz');
  t.equal(c.ports[0].containerPort, 3000);
  const svc = named('Service', 'api')!;
  t.same(svc.spec.selector, api.spec.selector.matchLabels);
  t.equal(svc.spec.ports[0].targetPort, c.ports[0].name);
  const hpa = named('HorizontalPodAutoscaler', 'api')!;
  t.equal(hpa.apiVersion, 'autoscaling/v2');
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' });
  t.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  t.same(named('PodDisruptionBudget', 'api')!.spec.selector.matchLabels, api.spec.selector.matchLabels);
  // Graceful stop: the app's shutdown grace must end before the kubelet's SIGKILL.
  const cm = named('ConfigMap', 'captioner-config')!.data;
  t.ok(Number(cm.SHUTDOWN_TIMEOUT_MS) / 1000 + 5 < api.spec.template.spec.terminationGracePeriodSeconds, 'preStop + shutdown < grace period');
});

t.test('worker: runs `worker`, heartbeat liveness on the file it writes, long grace period', async (t) => {
  const w = named('Deployment', 'worker')!;
  const c = w.spec.template.spec.containers[0];
  t.same(c.command.slice(-4), ['--import', 'tsx', 'src/cli.ts', 'worker']);
  t.equal(c.command[0], '/usr/bin/tini', 'tini stays PID 1 (the image ENTRYPOINT is replaced by command)');
  const cm = named('ConfigMap', 'captioner-config')!.data;
  t.match(c.livenessProbe.exec.command.join(' '), cm.WORKER_HEARTBEAT_FILE);
  t.ok(w.spec.template.spec.terminationGracePeriodSeconds >= 60);
});

t.test('ConfigMap: only variables the code reads, valid for the server', async (t) => {
  const cm = named('ConfigMap', 'captioner-config')!.data as Record<string, string>;
  for (const k of Object.keys(cm)) t.ok(KNOWN_ENV.has(k), `${k} is read by the code`);
  const serverEnv = Object.fromEntries(Object.entries(cm).filter(([k]) => SERVER_ENV.has(k)));
  t.ok(EnvSchema.safeParse(serverEnv).success, 'the server accepts them');
  t.equal(cm.REDIS_URL, `redis://${named('Service', 'redis')!.metadata.name}:${named('Service', 'redis')!.spec.ports[0].port}`);
  const redis = named('StatefulSet', 'redis')!;
  t.match(redis.spec.template.spec.containers[0].args.join(' '), /--appendonly yes/, 'redis persists (AOF)');
  t.match(redis.spec.template.spec.containers[0].args.join(' '), /noeviction/, 'and never drops jobs to free memory');
});

t.test('compose: profile `jobs` with Redis on a volume, the API and N workers', async (t) => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Obj;
  const s = compose.services;
  for (const name of ['redis', 'api', 'worker']) t.same(s[name].profiles, ['jobs'], `${name} in profile jobs`);
  t.match(s.redis.image, /^\$\{REDIS_IMAGE:-redis:[\w.-]+\}$/, 'the official redis image by default');
  t.ok(s.redis.volumes.some((v: string) => v.startsWith('redis-data:/data')) && 'redis-data' in compose.volumes, 'Redis data on a named volume');
  t.ok(s.redis.command.includes('--appendonly'), 'AOF on');
  t.equal(s.api.environment.REDIS_URL, 'redis://redis:6379');
  t.equal(s.worker.environment.REDIS_URL, 'redis://redis:6379');
  t.same(s.worker.command, ['node', '--import', 'tsx', 'src/cli.ts', 'worker']);
  t.equal(s.worker.healthcheck.disable, true, 'the image\'s HTTP healthcheck is off for workers');
  for (const name of ['redis', 'api', 'worker']) {
    t.equal(s[name].read_only, true, `${name}: read-only`);
    t.same(s[name].cap_drop, ['ALL'], `${name}: no capabilities`);
    t.ok(s[name].mem_limit, `${name}: memory limit`);
    t.equal(s[name].depends_on?.redis?.condition ?? (name === 'redis' ? 'n/a' : undefined), name === 'redis' ? 'n/a' : 'service_healthy', `${name}: waits for Redis`);
  }
  for (const name of ['api', 'worker']) for (const k of Object.keys(s[name].environment)) t.ok(KNOWN_ENV.has(k), `${name}: ${k} is read by the code`);
});
