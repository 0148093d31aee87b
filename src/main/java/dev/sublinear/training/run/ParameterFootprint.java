package dev.sublinear.training.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.Adam;
import dev.sublinear.optimizer.ParameterMemory;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ParameterKind;
import dev.sublinear.training.model.PretrainedBlock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One model parameter's optimizer memory, under the name its model gives it (the Hugging Face name
 * for an imported model, the block path for a catalog model).
 *
 * @param shape the parameter's shape
 * @param dtype its type: float32, float16, bfloat16
 * @param devices where it lives: cpu, gpu:0, ... (as the worker names devices); its bytes are summed over them
 * @param secondMoment how the optimizer keeps its second moment; {@link
 *     ParameterMemory.SecondMomentKind#NONE} for a parameter the optimizer holds no state for
 * @param kind the part of the model it belongs to
 * @param stateBytes bytes of optimizer state held for it
 * @param adamEquivalentBytes what Adam would hold for it (two float32 tensors per device), 0 for a
 *     parameter the optimizer does not update
 * @param parameterBytes bytes of the parameter itself, over its devices
 */
public record ParameterFootprint(
        String name,
        long[] shape,
        String dtype,
        List<String> devices,
        ParameterMemory.SecondMomentKind secondMoment,
        ParameterKind kind,
        long stateBytes,
        long adamEquivalentBytes,
        long parameterBytes) {

    public ParameterFootprint {
        shape = shape.clone();
        devices = List.copyOf(devices);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Every parameter of {@code model}, in the block's order, with the memory {@code optimizer} holds
     * for it. Read after the first step, when every trained parameter has its state.
     */
    static List<ParameterFootprint> of(Optimizer optimizer, LoadedModel model) {
        Map<String, ParameterMemory> accounted = new HashMap<>();
        List<ParameterMemory> memory = optimizer instanceof Adafactor a
                ? a.memoryByParameter()
                : optimizer instanceof Adam adam ? adam.memoryByParameter() : List.of();
        for (ParameterMemory m : memory) {
            accounted.put(m.parameterId(), m);
        }
        Map<String, String> names = names(model);
        List<ParameterFootprint> result = new ArrayList<>();
        for (Pair<String, Parameter> p : model.block().getParameters()) {
            Parameter parameter = p.getValue();
            String name = names.getOrDefault(parameter.getId(), p.getKey());
            ParameterMemory m = accounted.get(parameter.getId());
            if (m != null) {
                result.add(new ParameterFootprint(
                        name,
                        m.shape().getShape(),
                        typeName(m.dataType()),
                        m.devices().stream()
                                .sorted(Comparator.comparing(Device::getDeviceType)
                                        .thenComparing(Device::getDeviceId))
                                .map(ParameterFootprint::deviceName)
                                .toList(),
                        m.secondMoment(),
                        ParameterKind.of(name),
                        m.stateBytes(),
                        m.adamEquivalentBytes(),
                        m.parameterBytes()));
            } else {
                // not updated by a stateful optimizer (no gradient): it holds nothing for it
                NDArray array = parameter.getArray();
                result.add(new ParameterFootprint(
                        name,
                        array.getShape().getShape(),
                        typeName(array.getDataType()),
                        List.of(deviceName(array.getDevice())),
                        ParameterMemory.SecondMomentKind.NONE,
                        ParameterKind.of(name),
                        0,
                        0,
                        array.size() * array.getDataType().getNumOfBytes()));
            }
        }
        return result;
    }

    /** Parameter id to the name its model gives it: the Hugging Face name, else the block path. */
    private static Map<String, String> names(LoadedModel model) {
        Map<String, String> names = new HashMap<>(model.parameterNames());
        if (model.block() instanceof PretrainedBlock hf) {
            hf.hfParameters().forEach((name, parameter) -> names.put(parameter.getId(), name));
        }
        return names;
    }

    private static String typeName(DataType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    /** cpu, or gpu:i: the worker's names for devices, which the job's devices field shows. */
    static String deviceName(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }
}
