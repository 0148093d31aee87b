package dev.sublinear.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The chart's output as typed Kubernetes objects (fabric8's model), with look-ups for the tests.
 * Reading fails on a document that is not a Kubernetes object, and on any field the model does not
 * know (a misspelt or misplaced key in a template would otherwise be dropped by the API server).
 */
final class RenderedChart {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    final String yaml;
    final List<HasMetadata> objects;

    private RenderedChart(String yaml, List<HasMetadata> objects) {
        this.yaml = yaml;
        this.objects = objects;
    }

    static RenderedChart of(TemplateCommand template) {
        String yaml = template.call();
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
            if (document.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(document);
            assertThat(parsed).as("a Kubernetes object:%n%s", document).isInstanceOf(HasMetadata.class);
            HasMetadata object = (HasMetadata) parsed;
            if (!(object instanceof GenericKubernetesResource)) {
                assertNoUnknownFields(
                        object, object.getKind() + "/" + object.getMetadata().getName());
            }
            objects.add(object);
        }
        return new RenderedChart(yaml, List.copyOf(objects));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Objects of a kind the model does not type, such as the Prometheus Operator's ServiceMonitor. */
    List<GenericKubernetesResource> custom(String apiVersion, String kind) {
        return all(GenericKubernetesResource.class).stream()
                .filter(r -> apiVersion.equals(r.getApiVersion()) && kind.equals(r.getKind()))
                .toList();
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
        return find(type, name)
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in " + names()));
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream()
                .filter(o -> o.getMetadata().getName().equals(name))
                .findFirst();
    }

    List<String> names() {
        return objects.stream()
                .map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .toList();
    }

    /** Every pod template the chart renders, with where it comes from. */
    Map<String, PodTemplateSpec> podTemplates() {
        Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
        all(Deployment.class)
                .forEach(d -> templates.put(
                        "Deployment/" + d.getMetadata().getName(), d.getSpec().getTemplate()));
        all(StatefulSet.class)
                .forEach(s -> templates.put(
                        "StatefulSet/" + s.getMetadata().getName(), s.getSpec().getTemplate()));
        return templates;
    }

    static Container container(Deployment deployment) {
        List<Container> containers =
                deployment.getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers)
                .as("containers of %s", deployment.getMetadata().getName())
                .hasSize(1);
        return containers.get(0);
    }

    static EnvVar env(Container container, String name) {
        return container.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no " + name));
    }

    static Volume volume(PodTemplateSpec template, String name) {
        return template.getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    /** Walks a model object's getters and fails where a map of unknown fields is not empty. */
    private static void assertNoUnknownFields(Object value, String path) {
        if (value == null || value instanceof GenericKubernetesResource) {
            return;
        }
        if (value instanceof Collection<?> collection) {
            int i = 0;
            for (Object element : collection) {
                assertNoUnknownFields(element, path + "[" + i++ + "]");
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> assertNoUnknownFields(v, path + "." + k));
            return;
        }
        if (!(value instanceof KubernetesResource)
                || !value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0
                    || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object field;
            try {
                field = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            String name = getter.getName().substring(3);
            if (name.equals("AdditionalProperties")) {
                assertThat((Map<?, ?>) field)
                        .as("fields the Kubernetes API does not know at %s", path)
                        .isNullOrEmpty();
            } else {
                assertNoUnknownFields(field, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1));
            }
        }
    }
}
