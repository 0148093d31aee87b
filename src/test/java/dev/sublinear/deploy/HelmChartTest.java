package dev.sublinear.deploy;

import static dev.sublinear.deploy.RenderedChart.container;
import static dev.sublinear.deploy.RenderedChart.env;
import static dev.sublinear.deploy.RenderedChart.volume;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * helm/sublinear, linted strictly and rendered (Helm 3 as a library) with its default values (a
 * one-node trial) and with values-gpu-cluster.yaml, each object read as a typed Kubernetes object.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm", "sublinear");
    private static final Path GPU_VALUES = CHART.resolve("values-gpu-cluster.yaml");
    private static final String RELEASE = "test";
    private static final String PREFIX = RELEASE + "-sublinear";
    private static final String API = PREFIX + "-api";
    private static final String WORKER = PREFIX + "-worker";
    private static final String POSTGRESQL = PREFIX + "-postgresql";
    private static final String GPU = "nvidia.com/gpu";

    /** The uid of the images' user (docker/Dockerfile*: USER 10001). */
    private static final long IMAGE_UID = 10001;

    private static final ApplicationConfig APP = ApplicationConfig.load();

    static Stream<Arguments> valueSets() {
        return Stream.of(
                Arguments.of("default values", UnaryOperator.<TemplateCommand>identity()),
                Arguments.of(
                        "values-gpu-cluster.yaml", (UnaryOperator<TemplateCommand>) t -> t.withValuesFile(GPU_VALUES)));
    }

    private static RenderedChart render(UnaryOperator<TemplateCommand> options) {
        return RenderedChart.of(options.apply(new Helm(CHART).template().withName(RELEASE)));
    }

    private static RenderedChart renderDefault() {
        return render(UnaryOperator.identity());
    }

    private static RenderedChart renderGpuCluster() {
        return render(t -> t.withValuesFile(GPU_VALUES));
    }

    // ---------------------------------------------------------------- lint

    @Test
    void lintsStrictlyWithTheDefaultValues() {
        assertLintsStrictly(CHART);
    }

    /** helm lint takes no values file here, so the GPU values are merged into a copy of the chart. */
    @Test
    void lintsStrictlyWithTheGpuClusterValues(@TempDir Path copy) throws IOException {
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = copy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        Map<String, Object> merged = merge(yaml(CHART.resolve("values.yaml")), yaml(GPU_VALUES));
        Files.writeString(copy.resolve("values.yaml"), new Yaml().dump(merged));
        assertLintsStrictly(copy);
    }

    private static void assertLintsStrictly(Path chart) {
        LintResult lint = new Helm(chart).lint().strict().call();
        assertThat(lint.isFailed())
                .as("helm lint --strict %s: %s", chart, lint.getMessages())
                .isFalse();
        assertThat(lint.getMessages())
                .as("helm lint --strict %s", chart)
                .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    // ---------------------------------------------------------------- the default: a one-node trial

    @Test
    void theDefaultValuesAreAOneNodeTrialWithItsOwnPostgresql() {
        RenderedChart chart = renderDefault();
        assertThat(chart.names())
                .containsExactlyInAnyOrder(
                        "ServiceAccount/" + PREFIX,
                        "Secret/" + PREFIX + "-secrets",
                        "ConfigMap/" + PREFIX,
                        "PersistentVolumeClaim/" + PREFIX + "-artifacts",
                        "Service/" + PREFIX,
                        "Service/" + WORKER,
                        "Service/" + POSTGRESQL,
                        "Deployment/" + API,
                        "Deployment/" + WORKER,
                        "StatefulSet/" + POSTGRESQL);

        // A CPU worker: it schedules on any node and runs the CPU image.
        Container worker = container(chart.named(Deployment.class, WORKER));
        assertThat(env(worker, "SUBLINEAR_WORKER_DEVICES").getValue()).isEqualTo("cpu");
        assertThat(worker.getResources().getLimits()).doesNotContainKey(GPU);
        assertThat(worker.getImage()).isEqualTo("sublinear:0.1.0");
        assertThat(container(chart.named(Deployment.class, API)).getImage()).isEqualTo("sublinear:0.1.0");

        // The application's database is the chart's PostgreSQL, with the user, database and password it was created
        // with.
        Map<String, String> config = chart.named(ConfigMap.class, PREFIX).getData();
        Service postgresqlService = chart.named(Service.class, POSTGRESQL);
        int postgresqlPort = postgresqlService.getSpec().getPorts().get(0).getPort();
        assertThat(config)
                .containsEntry(
                        "SPRING_DATASOURCE_URL",
                        "jdbc:postgresql://" + POSTGRESQL + ":" + postgresqlPort + "/sublinear");
        StatefulSet postgresql = chart.named(StatefulSet.class, POSTGRESQL);
        Container database =
                postgresql.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(database, "POSTGRES_USER").getValue()).isEqualTo(config.get("SPRING_DATASOURCE_USERNAME"));
        assertThat(config.get("SPRING_DATASOURCE_URL"))
                .endsWith("/" + env(database, "POSTGRES_DB").getValue());
        assertThat(env(database, "POSTGRES_PASSWORD").getValueFrom().getSecretKeyRef())
                .isEqualTo(
                        env(worker, "SPRING_DATASOURCE_PASSWORD").getValueFrom().getSecretKeyRef());
        assertThat(selects(postgresqlService, postgresql.getSpec().getTemplate()))
                .isTrue();
        assertThat(selects(
                        postgresqlService,
                        chart.named(Deployment.class, API).getSpec().getTemplate()))
                .isFalse();
        assertThat(database.getImage()).matches("postgres:[0-9]+\\.[0-9]+.*");
        assertThat(postgresql.getSpec().getVolumeClaimTemplates()).hasSize(1);

        // Generated secrets, so that the trial needs no values at all.
        Secret secret = chart.named(Secret.class, PREFIX + "-secrets");
        assertThat(secret.getData()).containsOnlyKeys("admin-key", "database-password");
        assertThat(decode(secret.getData().get("admin-key")))
                .startsWith("sk-admin-")
                .hasSizeGreaterThan(40);
        assertThat(decode(secret.getData().get("database-password"))).hasSizeGreaterThanOrEqualTo(32);

        // The artifact volume: ReadWriteMany, kept on uninstall.
        PersistentVolumeClaim claim = chart.named(PersistentVolumeClaim.class, PREFIX + "-artifacts");
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
        assertThat(claim.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
    }

    // ---------------------------------------------------------------- GPU workers

    @Test
    void gpuClusterWorkersRequestTheirGpusAndTrainOnEachOfThem() throws IOException {
        Map<String, Object> values = yaml(GPU_VALUES);
        Map<String, Object> workerValues = map(values.get("worker"));
        int gpus = (Integer) workerValues.get("gpus");

        RenderedChart chart = renderGpuCluster();
        Deployment deployment = chart.named(Deployment.class, WORKER);
        assertThat(deployment.getSpec().getReplicas())
                .isEqualTo(workerValues.get("replicas"))
                .isEqualTo(4);
        Container worker = container(deployment);
        assertWorkerGpus(worker, gpus);
        assertThat(gpus).isEqualTo(2);
        assertThat(worker.getImage()).isEqualTo("registry.example.com/sublinear:0.1.0-cuda");

        var pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).isEqualTo(workerValues.get("nodeSelector"));
        assertThat(pod.getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo(GPU);
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(pod.getAffinity().getPodAntiAffinity()).isNotNull();
        // A rollout never needs more GPUs than the workers hold.
        assertThat(deployment
                        .getSpec()
                        .getStrategy()
                        .getRollingUpdate()
                        .getMaxSurge()
                        .getIntVal())
                .isZero();
        // The worker has time to checkpoint and requeue its jobs (sublinear.worker.shutdown-grace, 30 s).
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(30);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8})
    void eachWorkerGpuIsOneDevice(int gpus) {
        RenderedChart chart = render(t -> t.set("worker.gpus", gpus));
        Container worker = container(chart.named(Deployment.class, WORKER));
        assertWorkerGpus(worker, gpus);
        assertThat(worker.getImage()).isEqualTo("sublinear:0.1.0-cuda");
        // The API never asks for a GPU.
        assertThat(container(chart.named(Deployment.class, API)).getResources().getLimits())
                .doesNotContainKey(GPU);
    }

    @Test
    void theWorkerImageCanBeChosen() {
        Container worker = container(render(t -> t.set("worker.gpus", 1)
                        .set("worker.image.repository", "r/w")
                        .set("worker.image.tag", "custom"))
                .named(Deployment.class, WORKER));
        assertThat(worker.getImage()).isEqualTo("r/w:custom");
    }

    private static void assertWorkerGpus(Container worker, int gpus) {
        Map<String, Quantity> limits = worker.getResources().getLimits();
        assertThat(limits).containsKey(GPU);
        assertThat(limits.get(GPU)).isEqualTo(new Quantity(String.valueOf(gpus)));
        assertThat(worker.getResources().getRequests())
                .as("GPUs are asked for as limits only")
                .doesNotContainKey(GPU);
        String devices = IntStream.range(0, gpus).mapToObj(i -> "gpu:" + i).collect(Collectors.joining(","));
        assertThat(env(worker, "SUBLINEAR_WORKER_DEVICES").getValue()).isEqualTo(devices);
        assertThat(env(worker, "SUBLINEAR_ROLES").getValue()).isEqualTo("worker");
    }

    @Test
    void badValuesAreRejectedBeforeAnythingIsRendered() {
        assertThatThrownBy(() -> render(t -> t.set("worker.gpus", -1))).hasMessageContaining("gpus");
        assertThatThrownBy(() -> render(t -> t.set("persistence.accessModes[0]", "ReadWriteSometimes")))
                .hasMessageContaining("accessModes");
        assertThatThrownBy(() -> render(t -> t.set("image.tag", "latest"))).hasMessageContaining("tag");
        assertThatThrownBy(() -> render(t -> t.set("podSecurityContext.runAsUser", 0)))
                .hasMessageContaining("runAsUser");
        assertThatThrownBy(() -> render(t -> t.set("securityContext.runAsNonRoot", false)))
                .hasMessageContaining("runAsNonRoot");
    }

    // ---------------------------------------------------------------- what the API and the workers share

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void apiAndWorkersShareTheDatabaseSecretConfigurationAndArtifactVolume(
            String name, UnaryOperator<TemplateCommand> values) {
        RenderedChart chart = render(values);
        Deployment api = chart.named(Deployment.class, API);
        Deployment worker = chart.named(Deployment.class, WORKER);
        Container apiContainer = container(api);
        Container workerContainer = container(worker);
        assertThat(env(apiContainer, "SUBLINEAR_ROLES").getValue()).isEqualTo("api");
        assertThat(env(workerContainer, "SUBLINEAR_ROLES").getValue()).isEqualTo("worker");

        // One database password, from one Secret.
        SecretKeySelector apiPassword =
                env(apiContainer, "SPRING_DATASOURCE_PASSWORD").getValueFrom().getSecretKeyRef();
        SecretKeySelector workerPassword = env(workerContainer, "SPRING_DATASOURCE_PASSWORD")
                .getValueFrom()
                .getSecretKeyRef();
        assertThat(apiPassword).isNotNull().isEqualTo(workerPassword);
        assertSecretProvides(chart, apiPassword, "sublinear-db", "password");

        // One ConfigMap with the settings every process reads.
        assertThat(apiContainer.getEnvFrom())
                .isEqualTo(workerContainer.getEnvFrom())
                .singleElement()
                .satisfies(
                        source -> assertThat(source.getConfigMapRef().getName()).isEqualTo(PREFIX));
        Map<String, String> config = chart.named(ConfigMap.class, PREFIX).getData();
        assertThat(config.get("SPRING_DATASOURCE_URL")).startsWith("jdbc:postgresql://");
        assertThat(config)
                .containsKeys(
                        "SPRING_DATASOURCE_USERNAME",
                        "SUBLINEAR_DATA_DIR",
                        "DJL_CACHE_DIR",
                        "SUBLINEAR_WORKER_LEASE_DURATION",
                        "SUBLINEAR_WORKER_HEARTBEAT_INTERVAL");
        assertThat(config).doesNotContainKeys("SUBLINEAR_ROLES", "SPRING_DATASOURCE_PASSWORD", "SUBLINEAR_ADMIN_KEY");

        // One artifact volume, at the path both are told.
        String artifactsDir = config.get("SUBLINEAR_ARTIFACTS_DIR");
        assertThat(artifactsDir).isNotBlank();
        String claim = null;
        for (Deployment deployment : List.of(api, worker)) {
            PodTemplateSpec template = deployment.getSpec().getTemplate();
            VolumeMount mount = container(deployment).getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals(artifactsDir))
                    .findFirst()
                    .orElseThrow(() ->
                            new AssertionError(deployment.getMetadata().getName() + " does not mount " + artifactsDir));
            assertThat(mount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
            Volume volume = volume(template, mount.getName());
            assertThat(volume.getPersistentVolumeClaim())
                    .as("the artifact volume is a claim")
                    .isNotNull();
            String thisClaim = volume.getPersistentVolumeClaim().getClaimName();
            assertThat(claim == null ? thisClaim : claim).isEqualTo(thisClaim);
            claim = thisClaim;
        }
        PersistentVolumeClaim pvc = chart.named(PersistentVolumeClaim.class, claim);
        assertThat(pvc.getSpec().getAccessModes()).contains("ReadWriteMany");

        // The admin key reaches the API.
        SecretKeySelector adminKey =
                env(apiContainer, "SUBLINEAR_ADMIN_KEY").getValueFrom().getSecretKeyRef();
        assertSecretProvides(chart, adminKey, "sublinear-admin", "admin-key");
    }

    /** The key is in a Secret the chart renders, or in the named Secret the values say the operator made. */
    private static void assertSecretProvides(
            RenderedChart chart, SecretKeySelector ref, String existingName, String existingKey) {
        var rendered = chart.find(Secret.class, ref.getName());
        if (rendered.isPresent()) {
            assertThat(rendered.get().getData()).containsKey(ref.getKey());
        } else {
            assertThat(ref.getName()).isEqualTo(existingName);
            assertThat(ref.getKey()).isEqualTo(existingKey);
        }
    }

    @Test
    void anExistingClaimIsMountedAndNoneIsCreated() {
        RenderedChart chart = render(t -> t.set("persistence.existingClaim", "shared-artifacts"));
        assertThat(chart.all(PersistentVolumeClaim.class)).isEmpty();
        for (String name : List.of(API, WORKER)) {
            Volume artifacts =
                    volume(chart.named(Deployment.class, name).getSpec().getTemplate(), "artifacts");
            assertThat(artifacts.getPersistentVolumeClaim().getClaimName()).isEqualTo("shared-artifacts");
        }
    }

    @Test
    void aModelsClaimIsMountedReadOnlyAndNamedToEveryProcess() {
        assertThat(volumeNames(render(UnaryOperator.identity()).named(Deployment.class, API)))
                .doesNotContain("models");
        RenderedChart chart = render(t -> t.set("models.existingClaim", "hf-weights"));
        for (String name : List.of(API, WORKER)) {
            Deployment deployment = chart.named(Deployment.class, name);
            Volume models = volume(deployment.getSpec().getTemplate(), "models");
            assertThat(models.getPersistentVolumeClaim().getClaimName()).isEqualTo("hf-weights");
            assertThat(models.getPersistentVolumeClaim().getReadOnly()).isTrue();
            assertThat(deployment
                            .getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getVolumeMounts())
                    .anySatisfy(m -> {
                        assertThat(m.getName()).isEqualTo("models");
                        assertThat(m.getMountPath()).isEqualTo("/models");
                        assertThat(m.getReadOnly()).isTrue();
                    });
        }
        assertThat(chart.all(ConfigMap.class).get(0).getData()).containsEntry("SUBLINEAR_MODELS_DIR", "/models");
    }

    private static List<String> volumeNames(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .map(Volume::getName)
                .toList();
    }

    @Test
    void anExternalDatabaseNeedsAHostAndAPassword() {
        assertThatThrownBy(() -> render(t -> t.set("postgresql.enabled", false).set("database.password", "pw")))
                .hasMessageContaining("database.host is required");
        assertThatThrownBy(() -> render(t -> t.set("postgresql.enabled", false).set("database.host", "db")))
                .hasMessageContaining("database.password or database.existingSecret");

        RenderedChart chart = render(t -> t.set("postgresql.enabled", false)
                .set("database.host", "db.example.com")
                .set("database.port", 6432)
                .set("database.params", "sslmode=require")
                .set("database.password", "s3cret"));
        assertThat(chart.named(ConfigMap.class, PREFIX).getData())
                .containsEntry(
                        "SPRING_DATASOURCE_URL", "jdbc:postgresql://db.example.com:6432/sublinear?sslmode=require");
        assertThat(decode(
                        chart.named(Secret.class, PREFIX + "-secrets").getData().get("database-password")))
                .isEqualTo("s3cret");
        assertThat(chart.all(StatefulSet.class)).isEmpty();
    }

    @Test
    void theAdminKeyComesFromTheValuesOrAnExistingSecret() {
        RenderedChart given = render(t -> t.set("auth.adminKey", "sk-admin-given"));
        assertThat(decode(
                        given.named(Secret.class, PREFIX + "-secrets").getData().get("admin-key")))
                .isEqualTo("sk-admin-given");

        RenderedChart existing =
                render(t -> t.set("auth.existingSecret", "keys").set("auth.existingSecretKey", "admin"));
        SecretKeySelector ref = env(container(existing.named(Deployment.class, API)), "SUBLINEAR_ADMIN_KEY")
                .getValueFrom()
                .getSecretKeyRef();
        assertThat(ref.getName()).isEqualTo("keys");
        assertThat(ref.getKey()).isEqualTo("admin");
        assertThat(existing.named(Secret.class, PREFIX + "-secrets").getData()).containsOnlyKeys("database-password");
    }

    // ---------------------------------------------------------------- probes and ports

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void probesAskTheHealthGroupsTheApplicationServes(String name, UnaryOperator<TemplateCommand> values) {
        assertThat(APP.probesEnabled())
                .as("application.yaml: management.endpoint.health.probes.enabled")
                .isTrue();
        RenderedChart chart = render(values);
        for (String deployment : List.of(API, WORKER)) {
            Container container = container(chart.named(Deployment.class, deployment));
            assertThat(probePath(container, container.getLivenessProbe())).isEqualTo("/actuator/health/liveness");
            assertThat(probePath(container, container.getReadinessProbe())).isEqualTo("/actuator/health/readiness");
            for (Probe probe :
                    List.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())) {
                assertThat(probePath(container, probe))
                        .as("%s probes a path the application serves", deployment)
                        .isIn(APP.healthPaths());
            }
            // The JVM and libtorch start slowly: the startup probe, not the liveness probe, waits for them.
            Probe startup = container.getStartupProbe();
            int startupSeconds = startup.getPeriodSeconds() * startup.getFailureThreshold();
            assertThat(startupSeconds)
                    .as("%s: seconds allowed to start", deployment)
                    .isBetween(120, 600);
            assertThat(container.getLivenessProbe().getInitialDelaySeconds()).isNull();
        }
    }

    private static String probePath(Container container, Probe probe) {
        assertThat(probe).as("a probe of %s", container.getName()).isNotNull();
        HTTPGetAction get = probe.getHttpGet();
        ContainerPort port = container.getPorts().stream()
                .filter(p -> p.getName().equals(get.getPort().getStrVal()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no port " + get.getPort()));
        assertThat(port.getContainerPort()).as("the Actuator's port").isEqualTo(APP.managementPort());
        return get.getPath();
    }

    @Test
    void theServiceReachesTheApiPortOnApiPodsOnly() {
        RenderedChart chart = renderDefault();
        Service service = chart.named(Service.class, PREFIX);
        ServicePort port = service.getSpec().getPorts().get(0);
        assertThat(port.getTargetPort().getStrVal()).isEqualTo("http");
        assertThat(container(chart.named(Deployment.class, API)).getPorts())
                .anyMatch(p -> p.getName().equals("http") && p.getContainerPort() == APP.serverPort());
        assertThat(selects(service, chart.named(Deployment.class, API).getSpec().getTemplate()))
                .isTrue();
        assertThat(selects(
                        service, chart.named(Deployment.class, WORKER).getSpec().getTemplate()))
                .isFalse();
        assertThat(selects(
                        chart.named(Service.class, WORKER),
                        chart.named(Deployment.class, WORKER).getSpec().getTemplate()))
                .isTrue();
    }

    // ---------------------------------------------------------------- security

    @ParameterizedTest(name = "{0}")
    @MethodSource("valueSets")
    void noPodOrContainerRunsAsRootOrCanWriteItsImage(String name, UnaryOperator<TemplateCommand> values) {
        RenderedChart chart = render(values);
        Map<String, PodTemplateSpec> templates = chart.podTemplates();
        assertThat(templates).isNotEmpty();
        templates.forEach((source, template) -> {
            PodSecurityContext pod = template.getSpec().getSecurityContext();
            assertThat(pod).as("%s: pod securityContext", source).isNotNull();
            assertThat(pod.getRunAsNonRoot()).as("%s: runAsNonRoot", source).isTrue();
            assertThat(pod.getRunAsUser())
                    .as("%s: runAsUser", source)
                    .isNotNull()
                    .isNotZero();
            assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(template.getSpec().getAutomountServiceAccountToken())
                    .as("%s: no API token", source)
                    .isFalse();

            List<Container> containers = Stream.concat(
                            template.getSpec().getContainers().stream(),
                            template.getSpec().getInitContainers().stream())
                    .toList();
            for (Container container : containers) {
                String where = source + "/" + container.getName();
                SecurityContext security = container.getSecurityContext();
                assertThat(security).as("%s: securityContext", where).isNotNull();
                assertThat(Objects.requireNonNullElse(security.getRunAsNonRoot(), pod.getRunAsNonRoot()))
                        .as(where)
                        .isTrue();
                assertThat(Objects.requireNonNullElse(security.getRunAsUser(), pod.getRunAsUser()))
                        .as(where)
                        .isNotZero();
                assertThat(security.getPrivileged()).as(where).isNotEqualTo(Boolean.TRUE);
                assertThat(security.getAllowPrivilegeEscalation())
                        .as("%s: allowPrivilegeEscalation", where)
                        .isFalse();
                assertThat(security.getCapabilities().getDrop())
                        .as("%s: capabilities dropped", where)
                        .containsExactly("ALL");
                assertThat(security.getCapabilities().getAdd()).as(where).isNullOrEmpty();
                assertThat(security.getReadOnlyRootFilesystem())
                        .as("%s: readOnlyRootFilesystem", where)
                        .isTrue();
                assertThat(mountPaths(container))
                        .as("%s: a writable /tmp", where)
                        .contains("/tmp");
            }
        });

        // Sublinear's own pods: the images' user, and the writable places the images declare.
        for (String deployment : List.of(API, WORKER)) {
            PodTemplateSpec template =
                    chart.named(Deployment.class, deployment).getSpec().getTemplate();
            assertThat(template.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(IMAGE_UID);
            assertThat(template.getSpec().getSecurityContext().getFsGroup()).isEqualTo(IMAGE_UID);
            Container container = template.getSpec().getContainers().get(0);
            for (String path : List.of("/tmp", "/data", "/djl-cache")) {
                VolumeMount mount = container.getVolumeMounts().stream()
                        .filter(m -> m.getMountPath().equals(path))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(deployment + " does not mount " + path));
                assertThat(volume(template, mount.getName()).getEmptyDir())
                        .as("%s: %s is an emptyDir", deployment, path)
                        .isNotNull();
            }
            Map<String, String> config = chart.named(ConfigMap.class, PREFIX).getData();
            assertThat(config)
                    .containsEntry("SUBLINEAR_DATA_DIR", "/data")
                    .containsEntry("DJL_CACHE_DIR", "/djl-cache");
            // DJL never downloads, whatever JVM options the values add.
            assertThat(env(container, "JAVA_TOOL_OPTIONS").getValue()).startsWith("-Dai.djl.offline=true");
        }
    }

    private static List<String> mountPaths(Container container) {
        return container.getVolumeMounts().stream()
                .map(VolumeMount::getMountPath)
                .toList();
    }

    // ---------------------------------------------------------------- optional objects

    static Stream<Arguments> optionalObjects() {
        return IntStream.range(0, 16)
                .mapToObj(bits -> Arguments.of((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0));
    }

    @ParameterizedTest(name = "ingress={0} hpa={1} serviceMonitor={2} postgresql={3}")
    @MethodSource("optionalObjects")
    void optionalObjectsAppearExactlyWhenEnabled(
            boolean ingress, boolean hpa, boolean serviceMonitor, boolean postgresql) {
        RenderedChart chart = render(t -> {
            t.set("ingress.enabled", ingress)
                    .set("api.autoscaling.enabled", hpa)
                    .set("monitoring.serviceMonitor.enabled", serviceMonitor)
                    .set("postgresql.enabled", postgresql);
            return postgresql ? t : t.set("database.host", "db").set("database.password", "pw");
        });
        assertThat(chart.all(Ingress.class)).hasSize(ingress ? 1 : 0);
        assertThat(chart.all(HorizontalPodAutoscaler.class)).hasSize(hpa ? 1 : 0);
        assertThat(chart.custom("monitoring.coreos.com/v1", "ServiceMonitor")).hasSize(serviceMonitor ? 1 : 0);
        assertThat(chart.all(StatefulSet.class)).hasSize(postgresql ? 1 : 0);
        assertThat(chart.find(Service.class, POSTGRESQL).isPresent()).isEqualTo(postgresql);
        assertThat(chart.all(GenericKubernetesResource.class))
                .as("only the ServiceMonitor is untyped")
                .allMatch(r -> r.getKind().equals("ServiceMonitor"));

        Deployment api = chart.named(Deployment.class, API);
        // With an HPA the Deployment leaves replicas to it, or every upgrade would reset them.
        assertThat(api.getSpec().getReplicas()).isEqualTo(hpa ? null : 1);
        String url = chart.named(ConfigMap.class, PREFIX).getData().get("SPRING_DATASOURCE_URL");
        assertThat(url).startsWith(postgresql ? "jdbc:postgresql://" + POSTGRESQL + ":" : "jdbc:postgresql://db:5432/");
    }

    @Test
    void theGpuClusterExampleTurnsOnIngressAutoscalingAndMonitoringWithAnExternalDatabase() {
        RenderedChart chart = renderGpuCluster();
        assertThat(chart.all(StatefulSet.class)).isEmpty();
        assertThat(chart.all(Secret.class))
                .as("both secrets are the operator's")
                .isEmpty();
        assertThat(chart.named(ConfigMap.class, PREFIX).getData().get("SPRING_DATASOURCE_URL"))
                .isEqualTo("jdbc:postgresql://postgres.databases.svc.cluster.local:5432/sublinear?sslmode=require");

        HorizontalPodAutoscaler hpa = chart.all(HorizontalPodAutoscaler.class).get(0);
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(API);
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);

        Ingress ingress = chart.all(Ingress.class).get(0);
        assertThat(ingress.getSpec().getTls()).isNotEmpty();
        IngressBackend backend =
                ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend();
        Service service = chart.named(Service.class, backend.getService().getName());
        assertThat(service.getSpec().getPorts())
                .anyMatch(p -> p.getName().equals(backend.getService().getPort().getName()));
        assertThat(selects(service, chart.named(Deployment.class, API).getSpec().getTemplate()))
                .isTrue();
        assertThat(ingress.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off");

        // The ServiceMonitor scrapes the Prometheus endpoint of the API and the workers, not PostgreSQL.
        assertThat(APP.exposedOverHttp("prometheus")).isTrue();
        GenericKubernetesResource monitor =
                chart.custom("monitoring.coreos.com/v1", "ServiceMonitor").get(0);
        List<Map<String, Object>> endpoints =
                list(monitor.getAdditionalProperties().get("spec"), "endpoints");
        assertThat(endpoints).singleElement().satisfies(e -> {
            assertThat(e.get("path")).isEqualTo(APP.actuatorPath("prometheus"));
            assertThat(e.get("port")).isEqualTo("http");
            // the endpoint needs an admin key: the scrape sends the Secret the API takes its admin key from
            Map<String, Object> authorization = map(e.get("authorization"));
            assertThat(authorization.get("type")).isEqualTo("Bearer");
            var adminKey = chart
                    .named(Deployment.class, API)
                    .getSpec()
                    .getTemplate()
                    .getSpec()
                    .getContainers()
                    .get(0)
                    .getEnv()
                    .stream()
                    .filter(v -> v.getName().equals("SUBLINEAR_ADMIN_KEY"))
                    .findFirst()
                    .orElseThrow()
                    .getValueFrom()
                    .getSecretKeyRef();
            assertThat(map(authorization.get("credentials")))
                    .containsEntry("name", adminKey.getName())
                    .containsEntry("key", adminKey.getKey());
        });
        Map<String, Object> selector =
                map(map(monitor.getAdditionalProperties().get("spec")).get("selector"));
        List<String> selected = chart.all(Service.class).stream()
                .filter(s -> matches(selector, s.getMetadata().getLabels()))
                .map(s -> s.getMetadata().getName())
                .toList();
        assertThat(selected).containsExactlyInAnyOrder(PREFIX, WORKER);
        for (String name : selected) {
            assertThat(chart.named(Service.class, name).getSpec().getPorts())
                    .anyMatch(p -> p.getName().equals("http"));
        }
        RenderedChart trial = render(t -> t.set("monitoring.serviceMonitor.enabled", true));
        Map<String, Object> trialSelector = map(map(trial.custom("monitoring.coreos.com/v1", "ServiceMonitor")
                        .get(0)
                        .getAdditionalProperties()
                        .get("spec"))
                .get("selector"));
        assertThat(matches(
                        trialSelector,
                        trial.named(Service.class, POSTGRESQL).getMetadata().getLabels()))
                .isFalse();
    }

    // ---------------------------------------------------------------- notes

    @Test
    void theNotesSayHowToReachTheApiAndReadTheAdminKey() {
        String trial = new Helm(CHART)
                .install()
                .withName(RELEASE)
                .withNamespace("ml")
                .dryRun()
                .clientOnly()
                .call()
                .getOutput();
        assertThat(trial)
                .contains("kubectl --namespace ml port-forward service/" + PREFIX + " 8080:8080")
                .contains("get secret " + PREFIX + "-secrets -o jsonpath='{.data.admin-key}' | base64 -d");

        String cluster = new Helm(CHART)
                .install()
                .withName(RELEASE)
                .withNamespace("ml")
                .withValuesFile(GPU_VALUES)
                .dryRun()
                .clientOnly()
                .call()
                .getOutput();
        assertThat(cluster)
                .contains("https://sublinear.example.com/")
                .contains("get secret sublinear-admin -o jsonpath='{.data.admin-key}'")
                .contains("4 worker pod(s) with 2 GPU(s) each (gpu:0,gpu:1)");
    }

    // ---------------------------------------------------------------- helpers

    private static boolean selects(Service service, PodTemplateSpec template) {
        Map<String, String> labels = template.getMetadata().getLabels();
        return service.getSpec().getSelector().entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    /** A label selector (matchLabels, and matchExpressions with In) against labels. */
    private static boolean matches(Map<String, Object> selector, Map<String, String> labels) {
        Map<String, Object> matchLabels =
                selector.get("matchLabels") == null ? Map.of() : map(selector.get("matchLabels"));
        boolean all = matchLabels.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
        for (Map<String, Object> expression : list(selector, "matchExpressions")) {
            assertThat(expression.get("operator")).isEqualTo("In");
            all &= ((List<?>) expression.get("values")).contains(labels.get((String) expression.get("key")));
        }
        return all;
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> yaml(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new Yaml().load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Helm's way of combining values: maps merge key by key, anything else is replaced. */
    private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> merged = new LinkedHashMap<>(base);
        override.forEach((key, value) -> merged.merge(
                key, value, (a, b) -> a instanceof Map<?, ?> && b instanceof Map<?, ?> ? merge(map(a), map(b)) : b));
        return merged;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object map, String key) {
        Object value = map(map).get(key);
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }
}
