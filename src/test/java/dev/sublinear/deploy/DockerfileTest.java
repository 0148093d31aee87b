package dev.sublinear.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.deploy.Dockerfile.Instruction;
import dev.sublinear.deploy.Dockerfile.Stage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * docker/Dockerfile (CPU) and docker/Dockerfile.cuda (GPU workers), checked statically since no
 * Docker engine runs here: pinned bases, a non-root numeric user, the application's port and
 * health path, the layered jar's launcher, writable volumes, DJL offline, and the CUDA build.
 */
class DockerfileTest {

    private static final Path CPU = Path.of("docker", "Dockerfile");
    private static final Path CUDA = Path.of("docker", "Dockerfile.cuda");

    /** The uid the Helm chart runs every Sublinear container as (values.yaml). */
    private static final int CHART_UID = 10001;

    /** A version with at least three numbers (17.0.15, 12.8.1), or a digest. */
    private static final Pattern FULL_VERSION = Pattern.compile("(^|[^0-9.])[0-9]+\\.[0-9]+\\.[0-9]+");

    private static final Pattern DIGEST = Pattern.compile("@sha256:[0-9a-f]{64}$");

    private static final List<String> LAYERS =
            List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application");

    static Stream<Path> dockerfiles() {
        return Stream.of(CPU, CUDA);
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void buildsInStagesFromPinnedImages(Path path) {
        Dockerfile file = Dockerfile.read(path);
        assertThat(file.stages)
                .as("%s: a build stage and a runtime stage", file)
                .hasSizeGreaterThanOrEqualTo(2);
        for (Stage stage : file.stages) {
            String image = stage.image();
            if (file.isStage(image)) {
                continue;
            }
            assertThat(image)
                    .as("%s: FROM %s has every ARG resolved", path, image)
                    .doesNotContain("$");
            if (DIGEST.matcher(image).find()) {
                continue;
            }
            String lastSegment = image.substring(image.lastIndexOf('/') + 1);
            assertThat(lastSegment).as("%s: FROM %s has a tag", path, image).contains(":");
            String tag = lastSegment.substring(lastSegment.indexOf(':') + 1);
            assertThat(tag).as("%s: FROM %s", path, image).doesNotContainIgnoringCase("latest");
            assertThat(FULL_VERSION.matcher(tag).find())
                    .as("%s: FROM %s is pinned to a full version (x.y.z) or a digest", path, image)
                    .isTrue();
        }
    }

    @Test
    void bothImagesUseOneTemurinRelease() {
        List<String> temurin = dockerfiles()
                .map(Dockerfile::read)
                .flatMap(f -> f.stages.stream().map(Stage::image))
                .filter(image -> image.startsWith("eclipse-temurin:"))
                .map(image -> image.substring("eclipse-temurin:".length()).split("-")[0])
                .distinct()
                .toList();
        assertThat(temurin).as("the JDK that builds and the JRE that runs").hasSize(1);
        assertThat(temurin.get(0)).startsWith("17.");
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void runsAsTheChartsNonRootUser(Path path) {
        Stage runtime = Dockerfile.read(path).finalStage();
        Instruction user =
                runtime.last("USER").orElseThrow(() -> new AssertionError(path + ": the final stage has no USER"));
        String uid = user.arguments().split(":")[0].strip();
        // Kubernetes can only verify runAsNonRoot against a numeric user.
        assertThat(uid).as("%s: USER %s is numeric", path, user.arguments()).matches("[0-9]+");
        assertThat(Integer.parseInt(uid))
                .as("%s: USER is not root", path)
                .isNotZero()
                .isEqualTo(CHART_UID);
        assertThat(runtime.all("RUN"))
                .as("%s: the user exists in the image", path)
                .anyMatch(run ->
                        run.arguments().contains("useradd") && run.arguments().contains("--uid " + uid));
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void exposesTheApplicationsPort(Path path) {
        Stage runtime = Dockerfile.read(path).finalStage();
        List<String> exposed = runtime.all("EXPOSE").stream()
                .flatMap(e -> Stream.of(e.arguments().split("\\s+")))
                .map(port -> port.replace("/tcp", ""))
                .toList();
        assertThat(exposed)
                .as("%s: EXPOSE", path)
                .containsExactly(String.valueOf(ApplicationConfig.load().serverPort()));
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void healthCheckAsksTheLivenessProbeTheApplicationServes(Path path) {
        ApplicationConfig app = ApplicationConfig.load();
        assertThat(app.probesEnabled())
                .as("application.yaml: management.endpoint.health.probes.enabled")
                .isTrue();
        Set<String> served = app.healthPaths();

        Instruction healthcheck = Dockerfile.read(path)
                .finalStage()
                .last("HEALTHCHECK")
                .orElseThrow(() -> new AssertionError(path + ": no HEALTHCHECK"));
        Matcher url = Pattern.compile("https?://\\S+").matcher(healthcheck.arguments());
        assertThat(url.find())
                .as("%s: HEALTHCHECK calls a URL: %s", path, healthcheck.arguments())
                .isTrue();
        URI uri = URI.create(url.group());
        assertThat(uri.getHost()).isIn("127.0.0.1", "localhost");
        assertThat(uri.getPort()).as("%s: HEALTHCHECK port", path).isEqualTo(app.managementPort());
        assertThat(uri.getPath())
                .as("%s: HEALTHCHECK path is served by the application", path)
                .isIn(served);
        assertThat(uri.getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(healthcheck.arguments())
                .as("%s: a failed request fails the check", path)
                .contains("-f");
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void startsTheLayeredJarsLauncher(Path path) {
        Dockerfile file = Dockerfile.read(path);
        Stage runtime = file.finalStage();
        Instruction entrypoint =
                runtime.last("ENTRYPOINT").orElseThrow(() -> new AssertionError(path + ": no ENTRYPOINT"));
        // Exec form: java is PID 1 and gets SIGTERM, so a stopping worker checkpoints its jobs.
        assertThat(entrypoint.execForm()).containsExactly("java", "org.springframework.boot.loader.launch.JarLauncher");
        assertThat(runtime.all("CMD")).isEmpty();

        Stage build = file.stages.stream()
                .filter(s -> s.all("RUN").stream().anyMatch(r -> r.arguments().contains("-Djarmode=tools")))
                .findFirst()
                .orElseThrow(() -> new AssertionError(path + ": no stage extracts the layered jar"));
        assertThat(build.all("RUN"))
                .anyMatch(r -> r.arguments()
                        .contains("java -Djarmode=tools -jar target/sublinear.jar "
                                + "extract --layers --launcher --destination /layers"));
        String buildName = build.name().orElseThrow();
        List<String> copied = runtime.all("COPY").stream()
                .map(Instruction::arguments)
                .filter(a -> a.startsWith("--from=" + buildName + " /layers/"))
                .map(a -> a.split("\\s+")[1].replace("/layers/", "").replace("/", ""))
                .toList();
        assertThat(copied).as("%s: the layers, least often changed first", path).containsExactlyElementsOf(LAYERS);
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void keepsDataAndTheDjlCacheOnWritableVolumes(Path path) {
        Stage runtime = Dockerfile.read(path).finalStage();
        var env = runtime.env();
        String data = env.get("SUBLINEAR_DATA_DIR");
        String djlCache = env.get("DJL_CACHE_DIR");
        assertThat(data).as("%s: SUBLINEAR_DATA_DIR", path).isNotBlank();
        assertThat(djlCache).as("%s: DJL_CACHE_DIR", path).isNotBlank();
        List<String> volumes = runtime.all("VOLUME").stream()
                .flatMap(v -> v.execForm().stream())
                .toList();
        assertThat(volumes).as("%s: VOLUME", path).contains(data, djlCache);
        assertThat(runtime.all("RUN"))
                .as("%s: the volumes belong to the non-root user", path)
                .anyMatch(r -> r.arguments().matches("(?s).*chown \\S*10001\\S* .*" + Pattern.quote(data) + "\\b.*")
                        && r.arguments().contains(djlCache));
    }

    @ParameterizedTest
    @MethodSource("dockerfiles")
    void djlNeverDownloads(Path path) {
        var env = Dockerfile.read(path).finalStage().env();
        assertThat(env.get("JAVA_TOOL_OPTIONS"))
                .as("%s: JAVA_TOOL_OPTIONS", path)
                .contains("-Dai.djl.offline=true");
        assertThat(env).containsEntry("OPT_OUT_TRACKING", "true");
    }

    @Test
    void theCpuImageBuildsTheDefaultProfile() {
        List<Instruction> builds = mavenBuilds(Dockerfile.read(CPU));
        assertThat(builds).isNotEmpty().noneMatch(r -> r.arguments().contains("-Pcuda"));
        assertThat(Dockerfile.read(CPU).finalStage().image())
                .startsWith("eclipse-temurin:")
                .contains("-jre-");
    }

    @Test
    void theCudaImageBuildsWithTheCudaProfileOnNvidiasRuntime() {
        Dockerfile cuda = Dockerfile.read(CUDA);
        List<Instruction> builds = mavenBuilds(cuda);
        assertThat(builds)
                .as("every Maven run of the CUDA image")
                .isNotEmpty()
                .allMatch(r -> r.arguments().contains("-Pcuda"));
        assertThat(builds).anyMatch(r -> r.arguments().contains(" package"));

        Stage runtime = cuda.finalStage();
        assertThat(runtime.image()).startsWith("nvidia/cuda:").contains("-runtime-");
        // A Temurin JRE copied in from a pinned Temurin stage, on the PATH.
        Stage jre = cuda.stages.stream()
                .filter(s ->
                        s.image().startsWith("eclipse-temurin:") && s.image().contains("-jre-"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no Temurin JRE stage"));
        assertThat(runtime.all("COPY"))
                .anyMatch(c -> c.arguments().startsWith("--from=" + jre.name().orElseThrow() + " /opt/java/openjdk"));
        assertThat(runtime.env()).containsEntry("JAVA_HOME", "/opt/java/openjdk");
        assertThat(runtime.env().get("PATH")).startsWith("${JAVA_HOME}/bin:");
    }

    /** The pom's cuda profile swaps the libtorch jar for the CUDA 12.8 build; the default stays CPU. */
    @Test
    void theCudaProfileSwapsLibtorch() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        Document pom = factory.newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        Element project = pom.getDocumentElement();
        String property = "djl.pytorch.native";

        assertThat(text(element(project, "properties"), property)).isEqualTo("pytorch-native-cpu");
        NodeList dependencies = project.getElementsByTagName("dependency");
        boolean found = false;
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            if (("${" + property + "}").equals(text(dependency, "artifactId"))) {
                assertThat(text(dependency, "groupId")).isEqualTo("ai.djl.pytorch");
                assertThat(text(dependency, "classifier")).isEqualTo("linux-x86_64");
                found = true;
            }
        }
        assertThat(found).as("a dependency on ai.djl.pytorch:${%s}", property).isTrue();

        NodeList profiles = project.getElementsByTagName("profile");
        String cuda = null;
        for (int i = 0; i < profiles.getLength(); i++) {
            Element profile = (Element) profiles.item(i);
            if ("cuda".equals(text(profile, "id"))) {
                cuda = text(element(profile, "properties"), property);
            }
        }
        assertThat(cuda).as("the cuda profile's %s", property).isEqualTo("pytorch-native-cu128");
    }

    @Test
    void theBuildContextLeavesOutBuildOutputAndData() throws IOException {
        List<String> rules = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        // Everything is left out, then only what the builds COPY is let back in.
        assertThat(rules.get(0)).isEqualTo("*");
        assertThat(rules.subList(1, rules.size())).containsExactlyInAnyOrder("!.mvn/", "!mvnw", "!pom.xml", "!src/");
        for (Path path : List.of(CPU, CUDA)) {
            for (Stage stage : Dockerfile.read(path).stages) {
                for (Instruction copy : stage.all("COPY")) {
                    if (copy.arguments().startsWith("--from=")) {
                        continue;
                    }
                    List<String> sources = List.of(copy.arguments().split("\\s+"));
                    for (String source : sources.subList(0, sources.size() - 1)) {
                        assertThat(Path.of(source))
                                .as("%s: COPY %s", path, source)
                                .exists();
                        assertThat(source.replaceAll("/$", "")).isIn(".mvn", "mvnw", "pom.xml", "src");
                    }
                }
            }
        }
    }

    private static List<Instruction> mavenBuilds(Dockerfile file) {
        return file.stages.stream()
                .flatMap(s -> s.all("RUN").stream())
                .filter(r -> r.arguments().contains("./mvnw"))
                .toList();
    }

    private static Element element(Element parent, String name) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("<" + parent.getTagName() + "> has no <" + name + ">");
    }

    private static String text(Element parent, String name) {
        return element(parent, name).getTextContent().strip();
    }
}
