package dev.sublinear.training.run;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.Adam;
import dev.sublinear.optimizer.ParameterMemory;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ParameterKind;
import dev.sublinear.training.model.PretrainedModels;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-parameter report equals the optimizer's own accounting ({@code memoryByParameter()}),
 * entry for entry, for every parameter of a catalog model and of an imported one, under the names
 * the model gives them; a parameter the optimizer never updated is listed with no state.
 */
class ParameterFootprintTest {

    @TempDir
    Path dir;

    @Test
    void aCatalogModelUnderAdafactorWithMomentumAndUnderAdam() throws Exception {
        try (LoadedModel model =
                LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), 0, Device.cpu())) {
            check(model, () -> Adafactor.builder().optBeta1(0.9f).build());
            check(
                    model,
                    () -> Adam.builder()
                            .optLearningRateTracker(Tracker.fixed(1e-3f))
                            .build());
        }
    }

    @Test
    void anImportedModelIsListedUnderItsHuggingFaceNames() throws Exception {
        Path base = TinyHfModels.gpt2(dir.resolve("gpt2"), WeightType.F32, 5);
        try (LoadedModel model = PretrainedModels.load(base, Device.cpu());
                SafetensorsReader weights = SafetensorsReader.open(base)) {
            List<ParameterFootprint> footprints =
                    check(model, () -> Adafactor.builder().build());
            assertThat(footprints)
                    .extracting(ParameterFootprint::name)
                    .containsExactlyInAnyOrderElementsOf(weights.names());
            for (ParameterFootprint f : footprints) {
                assertThat(f.shape())
                        .as(f.name())
                        .isEqualTo(weights.tensor(f.name()).shape());
            }
        }
    }

    /**
     * Updates every parameter but the last once, then compares the report with the optimizer's
     * accounting; answers the report.
     */
    private static List<ParameterFootprint> check(LoadedModel model, Supplier<Optimizer> factory) throws Exception {
        List<Pair<String, Parameter>> parameters = new ArrayList<>();
        model.block().getParameters().forEach(parameters::add);
        Parameter skipped = parameters.get(parameters.size() - 1).getValue();
        Optimizer optimizer = factory.get();
        try (NDManager scope = NDManager.newBaseManager()) {
            for (Pair<String, Parameter> p : parameters) {
                if (p.getValue() == skipped) {
                    continue;
                }
                NDArray weight = p.getValue().getArray();
                // a copy: the update must not change the model the other checks use
                NDArray copy = weight.duplicate();
                copy.attach(scope);
                optimizer.update(
                        p.getValue().getId(),
                        copy,
                        scope.ones(weight.getShape()).mul(1e-3f));
            }
            List<ParameterMemory> accounted =
                    optimizer instanceof Adafactor a ? a.memoryByParameter() : ((Adam) optimizer).memoryByParameter();
            Map<String, ParameterMemory> byId = new HashMap<>();
            accounted.forEach(m -> byId.put(m.parameterId(), m));
            assertThat(byId).hasSize(parameters.size() - 1);

            List<ParameterFootprint> footprints = ParameterFootprint.of(optimizer, model);
            assertThat(footprints).hasSize(parameters.size());
            assertThat(footprints.stream().map(ParameterFootprint::name).distinct())
                    .hasSize(parameters.size());
            for (int i = 0; i < parameters.size(); i++) {
                Parameter parameter = parameters.get(i).getValue();
                ParameterFootprint f = footprints.get(i);
                long elements = parameter.getArray().size();
                assertThat(f.kind()).isEqualTo(ParameterKind.of(f.name()));
                assertThat(f.dtype()).isEqualTo("float32");
                assertThat(f.devices()).containsExactly("cpu");
                assertThat(f.parameterBytes()).isEqualTo(4 * elements);
                assertThat(f.shape()).isEqualTo(parameter.getArray().getShape().getShape());
                if (parameter == skipped) {
                    assertThat(f.secondMoment()).isEqualTo(ParameterMemory.SecondMomentKind.NONE);
                    assertThat(f.stateBytes()).isZero();
                    assertThat(f.adamEquivalentBytes()).isZero();
                    continue;
                }
                ParameterMemory m = byId.get(parameter.getId());
                assertThat(f.stateBytes()).as(f.name()).isEqualTo(m.stateBytes());
                assertThat(f.adamEquivalentBytes()).as(f.name()).isEqualTo(m.adamEquivalentBytes());
                assertThat(f.parameterBytes()).as(f.name()).isEqualTo(m.parameterBytes());
                assertThat(f.secondMoment()).as(f.name()).isEqualTo(m.secondMoment());
                assertThat(Arrays.equals(f.shape(), m.shape().getShape())).isTrue();
            }
            return footprints;
        } finally {
            ((AutoCloseable) optimizer).close();
        }
    }
}
